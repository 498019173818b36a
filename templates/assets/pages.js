// The pages' one script (no inline code under the Content-Security-Policy): photo
// upload as raw bytes (drag and drop or the file picker), and the edit lock renewed
// while the form is open.
"use strict";

function uploadPhoto(zone, file) {
  const status = document.getElementById("upload-status");
  status.textContent = "Uploading " + file.name + "…";
  fetch(zone.dataset.upload, {
    method: "POST",
    body: file,
    credentials: "same-origin",
    headers: {
      "Content-Type": file.type || "application/octet-stream",
      "Content-Location": encodeURIComponent(file.name),
      "X-CSRF-Token": zone.dataset.csrf,
    },
  }).then(function (response) {
    if (response.status === 201) {
      status.textContent = "Uploaded.";
      window.location.reload();
    } else {
      return response.text().then(function (body) {
        const page = new DOMParser().parseFromString(body, "text/html");
        const heading = page.querySelector("h1");
        status.textContent = "Not uploaded: " + (heading ? heading.textContent : response.status);
      });
    }
  }).catch(function () {
    status.textContent = "Not uploaded: the server could not be reached.";
  });
}

function setUpDropzone(zone) {
  const picker = document.getElementById("photo-file");
  picker.addEventListener("change", function () {
    if (picker.files.length) uploadPhoto(zone, picker.files[0]);
  });
  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) {
      event.preventDefault();
      zone.classList.add("over");
    });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function () { zone.classList.remove("over"); });
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    if (event.dataTransfer.files.length) uploadPhoto(zone, event.dataTransfer.files[0]);
  });
}

function keepLock(form) {
  const csrf = form.querySelector("input[name=csrf_token]").value;
  window.setInterval(function () {
    fetch(form.dataset.renew, {
      method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf },
    });
  }, 60000);
}

document.addEventListener("DOMContentLoaded", function () {
  const zone = document.getElementById("dropzone");
  if (zone) setUpDropzone(zone);
  const form = document.getElementById("edit-form");
  if (form && form.dataset.renew) keepLock(form);
});
