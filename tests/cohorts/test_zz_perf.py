import time
from typing import Any
from tests.cohorts.test_import_pages import upload, key_in, confirm, count
from tests.cohorts.test_importer import csv_bytes
from app.cohorts.models import Enrolment

def test_perf(client: Any, login: Any, coordinator: Any, org: Any, create_cohort: Any, db_session: Any) -> None:
    cohort = create_cohort(org)
    rows = [[f"p{i}@exemple.fr", "Anne", "Durand", "", "14/07/1990", "F", "69123", ""] for i in range(2000)]
    login(coordinator)
    t = time.time()
    preview = upload(client, cohort, csv_bytes(rows))
    t1 = time.time()
    r = confirm(client, cohort, key_in(preview))
    t2 = time.time()
    print("preview", t1 - t, "confirm", t2 - t1)
    assert count(db_session, Enrolment) == 2000
    t = time.time()
    assert client.get(f"/promotions/{cohort.id}").status_code == 200
    print("page", time.time() - t)
