"""The CSV columns are declared once (service/etl/csv/columns.py): the staging table and the header follow them."""
from __future__ import annotations

from service.etl.csv.columns import KNOWN, NUMERIC, SPARE, STAGE_COLUMNS, Header
from service.sql import SQL


async def test_stage_csv_has_the_declared_columns_in_order_numbers_numeric(pool):
    async with pool.acquire() as connection:
        await connection.execute(SQL.create_stage_csv)
        columns = await connection.fetch(
            "SELECT attname, format_type(atttypid, atttypmod) AS type FROM pg_attribute"
            " WHERE attrelid = 'stage_csv'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum")
    assert [c["attname"] for c in columns] == ["ord", *STAGE_COLUMNS]
    assert {c["attname"]: c["type"] for c in columns[1:]} == {
        name: "numeric" if name in NUMERIC else "text" for name in STAGE_COLUMNS}


def test_a_header_maps_each_file_column_to_a_stage_column():
    header = Header.of(["last_updated", "notes", "price_usd", "symbol", "name", "price_usd"])
    assert header.missing() == [] and header.ignored() == ["notes"]
    assert header.stage_columns() == ("last_updated", SPARE[0], "price_usd", "symbol", "name", SPARE[1])
    assert Header.of(["symbol", "name"]).missing() == ["price_usd", "last_updated"]
    assert Header.of([f"c{i}" for i in range(len(SPARE) + 1)]).stage_columns() is None  # the Python way
    assert set(NUMERIC) < set(KNOWN)
