"""Exit 0 when the PostgreSQL and Redis at the given URLs answer, else 1 with the reason."""

import sys

import psycopg
import redis


def main(pg_url: str, redis_url: str) -> int:
    ok = True
    try:
        # Connect to the maintenance database: the test database is created by the tests.
        conninfo = pg_url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(conninfo, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        print(f"PostgreSQL at {pg_url}: {exc}", file=sys.stderr)
        ok = False
    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=5).ping()
    except Exception as exc:
        print(f"Redis at {redis_url}: {exc}", file=sys.stderr)
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
