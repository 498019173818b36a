"""Reading and writing catalog files. Readers turn each record into the ``<product>``
request document the API takes (so the API's XSD and value checks apply to it
unchanged) with the line it starts on; writers stream rows of stored columns out."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from lxml import etree

from xmlapi.transfer.fields import FIELDS, JSON_NAMES, Field, by_name

FORMATS = ("csv", "xml", "jsonl")


class FileError(ValueError):
    """The file as a whole cannot be read (unknown columns, not the format it claims)."""


@dataclass(frozen=True)
class Record:
    line: int
    element: etree._Element | None  # the <product> document; None when unreadable
    problem: str | None = None


def format_of(path: Path, given: str | None = None) -> str:
    """The file's format: as given, or by its extension."""
    name = given or path.suffix.lower().lstrip(".")
    name = {"json": "jsonl", "ndjson": "jsonl"}.get(name, name)
    if name not in FORMATS:
        raise FileError(f"{path.name}: unknown format; use --format csv, xml or jsonl")
    return name


def read(path: Path, file_format: str) -> Iterator[Record]:
    """Every record of the file, in order; FileError when the file stops being
    readable (text that is not UTF-8, XML that is not well formed)."""
    if file_format == "xml":
        yield from _read_xml(path)
        return
    records = _read_csv(path) if file_format == "csv" else _read_jsonl(path)
    line = 0
    try:
        for record in records:
            line = record.line
            yield record
    except UnicodeDecodeError:
        raise FileError(f"not UTF-8 text after line {line}") from None


def count_lines(path: Path) -> int:
    with path.open("rb") as file:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: file.read(1 << 20), b""))


# Records as request documents --------------------------------------------------------


def document(values: Iterable[tuple[Field, str]]) -> etree._Element:
    """A ``<product>`` document of (field, text) pairs; references become ``id``s."""
    root = etree.Element("product")
    for field, text in values:
        parent = root
        *groups, leaf = field.path.split("/")
        for group in groups:
            found = parent.find(group)
            parent = found if found is not None else etree.SubElement(parent, group)
        element = etree.SubElement(parent, leaf)
        if field.kind == "reference":
            element.set("id", text)
        else:
            element.text = text
    return root


def _fields_of(names: Iterable[str]) -> list[Field]:
    known = by_name()
    unknown = [name for name in names if name not in known]
    if unknown:
        raise FileError(f"unknown columns: {', '.join(unknown)}")
    return [known[name] for name in names]


def _read_csv(path: Path) -> Iterator[Record]:
    with path.open(newline="", encoding="utf-8-sig") as file:
        reader = csv.reader(file)
        header = next(reader, None)
        if header is None:
            return
        fields = _fields_of([name.strip() for name in header])
        while True:
            line = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield Record(line, None, f"unreadable CSV: {exc}")
                continue
            if not any(cell.strip() for cell in row):
                continue  # blank lines between rows
            if len(row) != len(fields):
                yield Record(line, None, f"{len(row)} cells for {len(fields)} columns")
                continue
            pairs = [(field, cell) for field, cell in zip(fields, row, strict=True) if cell != ""]
            yield Record(line, document(pairs))


def _json_text(value: Any, field: Field) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if field.path in ("sells/sell", "product_info/weight") and " " in text.strip():
        text = text.strip().split(" ", 1)[0]  # "15.00 USD", "170.0000 g": the figure
    return text


def _read_jsonl(path: Path) -> Iterator[Record]:
    known = by_name()
    with path.open(encoding="utf-8-sig") as file:
        for line, text in enumerate(file, start=1):
            if not text.strip():
                continue
            try:
                item = json.loads(text)
            except json.JSONDecodeError as exc:
                yield Record(line, None, f"not JSON: {exc.msg}")
                continue
            if not isinstance(item, dict):
                yield Record(line, None, "not a JSON object")
                continue
            # Names the organization face has and we do not (links, dates) are passed over.
            pairs = [
                (known[name], _json_text(value, known[name]))
                for name, value in item.items()
                if name in known and value is not None
            ]
            yield Record(line, document(pairs))


def _xml_parser_options() -> dict[str, Any]:
    return {
        "resolve_entities": False,
        "no_network": True,
        "load_dtd": False,
        "huge_tree": False,
        "remove_comments": True,
        "remove_pis": True,
    }


def _read_xml(path: Path) -> Iterator[Record]:
    """<product> documents: one, or several under a <products> root; parsed as a stream
    and each dropped once read."""
    depth = 0
    root_tag = None
    events = etree.iterparse(str(path), events=("start", "end"), **_xml_parser_options())
    try:
        for event, element in events:
            if event == "start":
                depth += 1
                if depth == 1:
                    root_tag = element.tag
                    if root_tag not in ("products", "product"):
                        raise FileError(f"expected <products> or <product>, got <{root_tag}>")
                continue
            depth -= 1
            if element.tag == "product" and depth == (0 if root_tag == "product" else 1):
                copy = etree.fromstring(etree.tostring(element))
                yield Record(element.sourceline or 0, copy)
                element.clear()
                while element.getprevious() is not None:
                    del element.getparent()[0]
            elif depth == 1 and root_tag == "products":
                yield Record(element.sourceline or 0, None, f"<{element.tag}> is no <product>")
    except etree.XMLSyntaxError as exc:
        raise FileError(f"malformed XML: {exc.msg} (line {exc.position[0]})") from None


# Writing --------------------------------------------------------------------------


def text_of(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


class Writer:
    """Writes products (mappings of column -> value) to a file in one format."""

    def __init__(self, out: IO[str], file_format: str):
        self.out = out
        self.format = file_format
        self._xml = None

    def __enter__(self) -> Writer:
        if self.format == "csv":
            self._csv = csv.writer(self.out, lineterminator="\n")
            self._csv.writerow([field.path for field in FIELDS])
        elif self.format == "xml":
            self.out.write('<?xml version="1.0" encoding="UTF-8"?>\n<products>\n')
        return self

    def write(self, product: Mapping[str, Any]) -> None:
        if self.format == "csv":
            self._csv.writerow(
                ["" if product[f.column] is None else text_of(product[f.column]) for f in FIELDS]
            )
        elif self.format == "jsonl":
            item = {
                JSON_NAMES.get(f.path, f.path): _json_value(product[f.column])
                for f in FIELDS
                if product[f.column] is not None
            }
            self.out.write(json.dumps(item, ensure_ascii=False) + "\n")
        else:
            pairs = [
                (f, text_of(product[f.column])) for f in FIELDS if product[f.column] is not None
            ]
            self.out.write(etree.tostring(document(pairs), encoding="unicode") + "\n")

    def __exit__(self, *_exc: object) -> None:
        if self.format == "xml":
            self.out.write("</products>\n")


def _json_value(value: Any) -> Any:
    return text_of(value) if isinstance(value, Decimal) else value
