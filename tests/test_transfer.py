"""xmlapi import and export: CSV, XML product documents and JSON Lines, upserted by
code in batches, refusals named by line, dry runs, resuming, round trips."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from tests.conftest import empty_tables
from xmlapi.catalog import bulk
from xmlapi.cli import main
from xmlapi.db import session_scope
from xmlapi.models import Product, ProductClass

HEADER = ["code", "description", "sell", "current", "weight", "supplier_code"]


@pytest.fixture
def run(database_url, engine, tmp_path):
    runner = CliRunner()

    def invoke(*args):
        env = {"XMLAPI_DATABASE_URL": database_url, "XMLAPI_DATA_DIR": str(tmp_path)}
        return runner.invoke(main, [str(a) for a in args], env=env)

    yield invoke
    empty_tables(engine)


def write_csv(path, rows, header=HEADER):
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def good_rows(count, start=0):
    return [
        [f"P-{i:05}", f'Product {i}, "quoted"', f"{i % 97}.{i % 100:02}", "true", "1.5", f"S{i}"]
        for i in range(start, start + count)
    ]


def product_count(engine) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(Product))


def test_a_csv_with_3_bad_rows_of_1000_imports_997_and_names_the_3(run, engine, tmp_path):
    rows = good_rows(1000)
    rows[9][2] = "twelve"  # line 11: not a number
    rows[499][3] = "maybe"  # line 501: not a flag
    rows[997][0] = "x" * 1024  # line 999: code longer than 1023
    source = write_csv(tmp_path / "catalog.csv", rows)
    result = run("import", source)
    assert result.exit_code == 1, result.output
    assert "997 products were created, 0 updated, 3 records refused" in result.stdout
    refusals = [line for line in result.stderr.splitlines() if line.startswith("line ")]
    assert [line.split(":")[0] for line in refusals] == ["line 11", "line 501", "line 999"]
    assert "sell" in refusals[0] and "current" in refusals[1]
    assert product_count(engine) == 997
    with session_scope(engine) as session:
        assert session.scalar(select(Product).where(Product.code == "P-00009")) is None
        first = session.scalar(select(Product).where(Product.code == "P-00000"))
        assert (first.description, str(first.sell), first.weight) == (
            'Product 0, "quoted"',
            "0.00",
            1.5,
        )


def test_import_upserts_by_code_and_a_refused_update_changes_nothing(run, engine, tmp_path):
    with session_scope(engine) as session:
        session.add(ProductClass(name="Shirts"))
    run("import", write_csv(tmp_path / "first.csv", good_rows(3)))
    with session_scope(engine) as session:
        class_id = session.scalar(select(ProductClass.id))
    rows = [
        ["P-00000", "renamed", "9.99", "false", "", str(class_id)],
        ["P-00001", "also renamed", "1.00", "true", "", "999999"],  # no such class
        ["P-00003", "new one", "2.00", "true", "", ""],
    ]
    header = ["code", "description", "sell", "current", "weight", "class"]
    result = run("import", write_csv(tmp_path / "second.csv", rows, header))
    assert "1 products were created, 1 updated, 1 records refused" in result.stdout
    assert "line 3: No class with id 999999." in result.stderr
    with session_scope(engine) as session:
        by_code = {p.code: p for p in session.scalars(select(Product))}
    assert len(by_code) == 4
    assert (by_code["P-00000"].description, by_code["P-00000"].class_id) == ("renamed", class_id)
    assert by_code["P-00000"].current is False
    assert by_code["P-00000"].weight == 1.5  # an empty cell leaves the value as it was
    assert by_code["P-00001"].description == 'Product 1, "quoted"'


def test_a_dry_run_changes_nothing(run, engine, tmp_path):
    rows = [*good_rows(5), ["P-00001", "duplicate in file is an update", "1", "true", "", ""]]
    result = run("import", "--dry-run", write_csv(tmp_path / "c.csv", rows))
    assert result.exit_code == 0, result.output
    assert "5 products would be created, 0 updated, 0 records refused" in result.stdout
    assert product_count(engine) == 0


def test_an_unknown_column_stops_the_import_before_any_change(run, engine, tmp_path):
    source = write_csv(tmp_path / "c.csv", [["A", "x"]], ["code", "colour"])
    result = run("import", source)
    assert result.exit_code == 1
    assert "unknown columns: colour" in result.output
    assert "Traceback" not in result.output
    assert product_count(engine) == 0


def test_a_cut_off_import_resumes_after_its_last_committed_batch(
    run, engine, tmp_path, monkeypatch
):
    source = write_csv(tmp_path / "big.csv", good_rows(500))
    real = bulk.upsert
    calls = []

    def cut_off_at_the_fourth_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(bulk, "upsert", cut_off_at_the_fourth_batch)
    first = run("import", "--batch-size", 100, source)
    assert first.exit_code != 0
    assert product_count(engine) == 300
    state = tmp_path / "big.csv.import-state"
    assert json.loads(state.read_text())["line"] == 301  # header + 300 rows
    monkeypatch.setattr(bulk, "upsert", real)
    second = run("import", "--batch-size", 100, source)
    assert second.exit_code == 0, second.output
    assert "resuming after line 301" in second.stderr
    assert "200 products were created" in second.stdout
    assert product_count(engine) == 500
    assert not state.exists()


def test_a_product_locked_by_a_session_is_refused_by_the_import(client, engine, tmp_path):
    from tests.helpers import create_product, lock

    product_id = create_product(client, code="LOCKED", description="before")
    lock(client, product_id)
    runner = CliRunner()
    env = {"XMLAPI_DATABASE_URL": str(engine.url.render_as_string(hide_password=False))}
    source = write_csv(
        tmp_path / "l.csv", [["LOCKED", "after"], ["FREE", "new"]], ["code", "description"]
    )
    result = runner.invoke(
        main, ["import", str(source)], env={**env, "XMLAPI_DATA_DIR": str(tmp_path)}
    )
    assert result.exit_code == 1
    assert "line 2: Product" in result.stderr and "locked by another session" in result.stderr
    with session_scope(engine) as session:
        assert session.get(Product, product_id).description == "before"
        assert session.scalar(select(Product).where(Product.code == "FREE")) is not None


def test_xml_documents_import_with_the_line_of_each_refused_product(run, engine, tmp_path):
    source = tmp_path / "products.xml"
    source.write_text(
        "<products>\n"
        "  <product><code>X-1</code><sells><sell>5.00</sell></sells></product>\n"
        "  <product><code>X-2</code><colour>red</colour></product>\n"
        "  <product>\n    <code>X-3</code>\n    <related_products><related_product>"
        "<product id='1'/></related_product></related_products>\n  </product>\n"
        "</products>\n"
    )
    result = run("import", source)
    assert "line 3:" in result.stderr and "colour" in result.stderr
    assert "line 4:" in result.stderr  # X-3 names product 1, which does not exist
    assert product_count(engine) == 1


def test_jsonl_in_the_organization_faces_names(run, engine, tmp_path):
    source = tmp_path / "products.jsonl"
    source.write_text(
        json.dumps(
            {
                "code": "J-1",
                "description": "T-Shirt",
                "unit_price": "88.00 USD",
                "part_number": "PN-1",
                "unit_weight": "170.0000 g",
                "link": "http://x",
            }
        )
        + "\n\n{not json\n"
    )
    result = run("import", source)
    assert "line 3: not JSON" in result.stderr
    with session_scope(engine) as session:
        product = session.scalar(select(Product))
    assert (product.code, str(product.sell), product.manufacturer_part_number) == (
        "J-1",
        "88.00",
        "PN-1",
    )
    assert str(product.weight) == "170.0000"


def test_export_of_what_was_imported_round_trips_in_every_format(run, engine, tmp_path):
    rows = [*good_rows(50), ["Ünï-çødé", "line\nbreak, tab\t", "0.01", "false", "0", "Ω"]]
    run("import", write_csv(tmp_path / "in.csv", rows))
    exported = run("export", "--format", "csv")
    assert exported.exit_code == 0, exported.output
    table = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert len(table) == 51
    imported = {row[0]: row for row in rows}
    for line in table:
        original = imported[line["code"]]
        assert line["description"] == original[1]
        assert line["sells/sell"] == f"{float(original[2]):.2f}"
        assert line["flags/current"] == original[3]
        assert line["supplier_code"] == original[5]
    for file_format in ("xml", "jsonl", "csv"):
        out = tmp_path / f"out.{file_format}"
        assert run("export", "--format", file_format, "-o", out).exit_code == 0
        empty_tables(engine)
        again = run("import", out)
        assert again.exit_code == 0, again.output
        assert "51 products were created" in again.stdout
        assert run("export", "--format", "csv").stdout == exported.stdout, file_format


def test_a_file_that_is_not_utf8_stops_with_a_message_not_a_traceback(run, engine, tmp_path):
    source = tmp_path / "latin1.csv"
    source.write_bytes(b"code,description\nA,caf\xe9\n")
    result = run("import", source)
    assert result.exit_code == 1
    assert "not UTF-8 text after line 0" in result.output
    assert "Traceback" not in result.output
