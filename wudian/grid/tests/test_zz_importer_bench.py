import time
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wudian.grid.tests.test_import_grid import HOUSEHOLD_HEADERS, household, write_csv
from wudian.grid.importing import grid_import

def test_bench(city, tmp_path):
    rows = [HOUSEHOLD_HEADERS] + [household(楼栋=f"{n // 500 + 2}号楼", 单元=str(n // 50 % 10 + 1), 房号=str(n % 50 + 101), 户号=f"34002{n:05d}", 电话=f"139{n:08d}", 电表号=f"E{n:06d}") for n in range(50000)]
    path = write_csv(tmp_path / "h.csv", rows)
    for label in ("create", "again"):
        t = time.monotonic()
        with CaptureQueriesContext(connection) as c:
            r = grid_import(path=path)
        print(label, r.households, len(c.captured_queries), round(time.monotonic() - t, 1), "s", r.errors[:3])
