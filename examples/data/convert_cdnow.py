#!/usr/bin/env python3
"""Convert the CDNOW master purchase file into trig's generic NDJSON events.

The input is `CDNOW_master.txt` from the `lifetimes` package (MIT,
(c) 2015 Cameron Davidson-Pilon): whitespace-separated columns
`customer_id date number_of_cds dollar_value`, one purchase per line,
after a header line, with dates as YYYYMMDD.

Each purchase becomes one line:

    {"customer":"00001","event":"order.completed","time":"1997-01-01T00:00:00Z",
     "id":"cdnow-2","props":{"cds":1,"value":11.77}}

- `customer` keeps the id as a string, leading zeros included.
- `time` is midnight UTC of the purchase date (the data has day resolution).
- `id` is `cdnow-<line number>`, the 1-based line number in the input file
  (the header is line 1), so an id never changes with the sample size.
- Lines are sorted by time; the sort is stable, so purchases on the same
  day keep the order of the input file.

`--customers N` keeps only the first N distinct customer ids in file order.

Usage:
    python3 convert_cdnow.py [--customers N] INPUT OUTPUT

Standard library only.
"""

import argparse
import datetime
import json
import sys


def parse_rows(path, max_customers):
    """Yields (date, line_number, customer, cds, value) for each kept row."""
    kept = set()
    with open(path, encoding="ascii", newline=None) as f:
        for line_number, line in enumerate(f, start=1):
            fields = line.split()
            if line_number == 1:
                if fields != ["customer_id", "date", "number_of_cds", "dollar_value"]:
                    sys.exit(f"{path}:1: unexpected header: {line.strip()!r}")
                continue
            if not fields:
                continue  # a blank line, if any
            if len(fields) != 4:
                sys.exit(f"{path}:{line_number}: expected 4 columns, got {len(fields)}")
            customer, date_text, cds_text, value_text = fields
            if customer not in kept:
                if max_customers is not None and len(kept) >= max_customers:
                    continue
                kept.add(customer)
            try:
                date = datetime.datetime.strptime(date_text, "%Y%m%d").date()
                cds = int(cds_text)
                value = float(value_text)
            except ValueError as e:
                sys.exit(f"{path}:{line_number}: {e}")
            yield date, line_number, customer, cds, value


def to_event(date, line_number, customer, cds, value):
    return {
        "customer": customer,
        "event": "order.completed",
        "time": date.strftime("%Y-%m-%dT00:00:00Z"),
        "id": f"cdnow-{line_number}",
        "props": {"cds": cds, "value": value},
    }


def main():
    parser = argparse.ArgumentParser(
        description="Convert CDNOW_master.txt into trig generic NDJSON (one order.completed per purchase)."
    )
    parser.add_argument(
        "--customers",
        type=int,
        metavar="N",
        help="keep only the first N distinct customer ids, in file order",
    )
    parser.add_argument("input", help="path of CDNOW_master.txt")
    parser.add_argument("output", help="path of the NDJSON file to write")
    args = parser.parse_args()
    if args.customers is not None and args.customers < 1:
        parser.error("--customers must be at least 1")

    rows = list(parse_rows(args.input, args.customers))
    rows.sort(key=lambda row: row[0])  # stable: same-day purchases keep file order

    with open(args.output, "w", encoding="utf-8", newline="\n") as out:
        for row in rows:
            out.write(json.dumps(to_event(*row), separators=(",", ":")))
            out.write("\n")

    customers = len({row[2] for row in rows})
    span = f"{rows[0][0]} to {rows[-1][0]}" if rows else "empty"
    print(f"wrote {len(rows)} purchases by {customers} customers ({span}) to {args.output}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
