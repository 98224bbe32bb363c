from clinicbot.runtime.dbconfig import database_config, is_transaction_pooler

SUPABASE_POOLER = "postgres://postgres.abcd:pw@aws-0-eu-central-1.pooler.supabase.com:6543/postgres"


def test_a_direct_postgres_url_gets_pool_and_both_timeouts():
    config = database_config("postgres://app:pw@db.example.com:5432/clinicbot")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert config["OPTIONS"]["connect_timeout"] == 5
    assert config["OPTIONS"]["options"] == "-c statement_timeout=5000"
    assert config["OPTIONS"]["pool"]["max_size"] >= 1
    assert config["CONN_MAX_AGE"] == 0


def test_the_supabase_transaction_pooler_gets_no_prepared_statements_or_server_cursors():
    config = database_config(SUPABASE_POOLER)
    assert is_transaction_pooler(SUPABASE_POOLER)
    assert config["OPTIONS"]["prepare_threshold"] is None
    assert config["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert "options" not in config["OPTIONS"]


def test_a_pgbouncer_flag_marks_a_pooler_and_is_not_passed_to_libpq():
    config = database_config("postgres://u:p@pooler.local:5432/db?pgbouncer=true")
    assert config["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert "pgbouncer" not in config["OPTIONS"]


def test_url_query_parameters_override_the_defaults():
    config = database_config("postgres://u:p@db.local:5432/db?connect_timeout=2")
    assert str(config["OPTIONS"]["connect_timeout"]) == "2"


def test_sqlite_urls_are_left_alone():
    config = database_config("sqlite:////tmp/x.sqlite3")
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert "OPTIONS" not in config or "pool" not in config["OPTIONS"]
