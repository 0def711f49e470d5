"""Client import benchmark: `make bench-import` (or `python -m tests.bench.bench_import`).

On a throwaway database of the configured kind (SQLite unless DATABASE_URL names PostgreSQL): a list of nine
attributes with a client code as its business key, and files of 5,000 and 50,000 clients as French Excel saves them
(Windows-1252, `;`, French headers, decimal commas, dd/mm/yyyy, reps by full name, blank rows at the end). Each size
runs the wizard's job as the background thread does: the check (nothing written), the import (all new clients), then
the same file again (every client found by its code and unchanged). Goal (issue 15): 5,000 rows in under 10 s of
work, and 50,000 rows that work.

Baseline, measured in the same run: reading and decoding the file alone, and the bare bulk insert of the same
clients (`bulk_create` of ready-made rows, no rule checked, nothing sent to the reps' feeds).
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from typing import Any

from tests.bench.throwaway import on_throwaway_db

SIZES = tuple(int(size) for size in os.environ.get("SIZES", "5000,50000").split(","))
HEADERS = [
    "Code client",
    "Nom",
    "Téléphone",
    "Latitude",
    "Longitude",
    "Quartier",
    "Catégorie",
    "Surface (m²)",
    "CA mensuel",
    "Ouverture",
    "Frigo",
    "Email du gérant",
    "Commerciaux",
]
QUARTIERS = ["Cocody", "Yopougon", "Treichville", "Plateau", "Adjamé", "Marcory"]


def main() -> None:
    on_throwaway_db(run, "fieldsales-bench-import")


def french_file(size: int, start: int) -> bytes:
    lines = [";".join(HEADERS)]
    for n in range(start, start + size):
        lines.append(
            ";".join(
                [
                    f"C{n:06d}",
                    f"Boutique n° {n}",
                    f"07 {n % 100:02d} {n // 100 % 100:02d} {n // 10000 % 100:02d} 07",
                    f"5,{3000 + n % 1000}",
                    f"-4,{n % 997:03d}",
                    QUARTIERS[n % len(QUARTIERS)],
                    ("Épicerie", "Boutique", "Supermarché")[n % 3],
                    f"{1000 + n % 500:,}".replace(",", " "),
                    f"{n % 9000} {n % 1000:03d},5",
                    f"{1 + n % 28:02d}/{1 + n % 12:02d}/2024",
                    "oui" if n % 2 else "non",
                    f"gerant{n}@exemple.ci",
                    ("Awa Koné", "koffi")[n % 2],
                ]
            )
        )
    lines.extend([";" * (len(HEADERS) - 1)] * 3)
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def setup() -> Any:
    from clients.models import AttributeDefinition
    from clients.schema import AttributeType
    from tests.factories import AttributeFactory, BackOfficeFactory, RepFactory, make_pos_list

    client_list = make_pos_list()
    AttributeFactory(client_list=client_list, key="code", label_en="Client code", label_fr="Code client", order=0)
    AttributeDefinition.objects.filter(client_list=client_list, key="code").update(unique=True)
    assert AttributeDefinition.objects.filter(client_list=client_list, type=AttributeType.CHOICE).exists()
    RepFactory(username="awa", first_name="Awa", last_name="Koné")
    RepFactory(username="koffi", first_name="Koffi", last_name="Yao")
    return client_list, BackOfficeFactory(username="bench-clerk")


def timed(function: Any) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def job_for(content: bytes, client_list: Any, clerk: Any) -> Any:
    """The job as the wizard's upload and mapping pages leave it."""
    from clients.resources import ClientImporter
    from fieldsales.imports.columns import match_headers
    from fieldsales.imports.reading import read_table
    from fieldsales.models import ImportJob

    table = read_table(content=content, limit=3)
    job = ImportJob(
        kind=ClientImporter.kind,
        scope={"list": client_list.pk},
        user=clerk,
        language="fr",
        file_name="clients.csv",
        content=content,
        headers=table.headers,
    )
    mapping = match_headers(table.headers, ClientImporter(job=job).columns())
    job.mapping = {str(position): key for position, key in mapping.items()}
    assert len(job.mapping) == len(HEADERS), table.headers
    job.save()
    return job


def stage(job: Any, name: str) -> float:
    from fieldsales.imports.runner import import_job_run, import_job_start

    import_job_start(job=job, stage=name)
    seconds = timed(lambda: import_job_run(job_id=job.pk))
    job.refresh_from_db()
    assert job.status == "done", (job.status, job.problem)
    assert not job.errors, job.errors[:3]
    return seconds


def baseline(size: int, client_list: Any) -> tuple[float, float]:
    """Reading the file alone, and inserting the same number of ready clients in bulk (then removed)."""
    from django.db import transaction

    from clients.models import Client
    from fieldsales.imports.reading import read_table

    content = french_file(size, 10_000_000)
    reading = timed(lambda: read_table(content=content))
    clients = [
        Client(
            id=uuid.uuid4(),
            client_list=client_list,
            name=f"Base {n}",
            attributes={"code": f"B{n}", "quartier": "Cocody", "categorie": "Boutique"},
            business_key=f"b{n}",
            search_text=f"base {n}",
        )
        for n in range(size)
    ]

    def insert() -> None:
        with transaction.atomic():
            Client.objects.bulk_create(clients, batch_size=500)

    inserting = timed(insert)
    Client.objects.filter(name__startswith="Base ").delete()
    return reading, inserting


def run() -> None:
    from django.conf import settings
    from django.db import connection

    from clients.models import Client

    # Each job runs here, timed, rather than in the thread the wizard starts for it.
    settings.BACKGROUND_THREADS = False

    client_list, clerk = setup()
    print(f"database: {connection.vendor}")
    print(f"{'rows':>7} | {'step':<28} | {'seconds':>8} | {'rows/s':>8}")
    start = 0
    for size in SIZES:
        content = french_file(size, start)
        start += size
        reading, inserting = baseline(size, client_list)
        job = job_for(content, client_list, clerk)
        figures = [
            ("check (dry run)", stage(job, "check")),
            ("import (all new)", stage(job, "import")),
        ]
        assert job.counts.get("new") == size, job.counts
        again = job_for(content, client_list, clerk)
        figures.append(("same file again: check", stage(again, "check")))
        figures.append(("same file again: import", stage(again, "import")))
        assert again.counts.get("unchanged") == size, again.counts
        figures.append(("baseline: read the file", reading))
        figures.append(("baseline: bare bulk insert", inserting))
        for step, seconds in figures:
            print(f"{size:>7,} | {step:<28} | {seconds:>8.2f} | {size / seconds:>8,.0f}")
        total = figures[0][1] + figures[1][1]
        print(f"{size:>7,} | {'check + import':<28} | {total:>8.2f} | {size / total:>8,.0f}")
        sys.stdout.flush()
    assert Client.objects.filter(client_list=client_list).count() == sum(SIZES)


if __name__ == "__main__":
    main()
