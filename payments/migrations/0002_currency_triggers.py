"""The currency of a payment always equals its order's, and a transaction's its payment's:
enforced by the database (PostgreSQL triggers; a CHECK cannot look at another table), so no
code path, raw SQL included, can break it. SQLite (the embedded demo) relies on the services."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION payments_payment_currency_check() RETURNS trigger AS $$
BEGIN
    IF NEW.currency <> (SELECT currency FROM orders_order WHERE id = NEW.order_id) THEN
        RAISE EXCEPTION 'payment currency % differs from its order''s', NEW.currency
            USING ERRCODE = 'check_violation', CONSTRAINT = 'payment_currency_is_order_currency';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER payment_currency_is_order_currency
    BEFORE INSERT OR UPDATE OF currency, order_id ON payments_payment
    FOR EACH ROW EXECUTE FUNCTION payments_payment_currency_check();

CREATE OR REPLACE FUNCTION payments_transaction_currency_check() RETURNS trigger AS $$
BEGIN
    IF NEW.currency <> (SELECT currency FROM payments_payment WHERE id = NEW.payment_id) THEN
        RAISE EXCEPTION 'transaction currency % differs from its payment''s', NEW.currency
            USING ERRCODE = 'check_violation', CONSTRAINT = 'payment_txn_currency_is_payment_currency';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER payment_txn_currency_is_payment_currency
    BEFORE INSERT OR UPDATE OF currency, payment_id ON payments_paymenttransaction
    FOR EACH ROW EXECUTE FUNCTION payments_transaction_currency_check();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS payment_txn_currency_is_payment_currency ON payments_paymenttransaction;
DROP FUNCTION IF EXISTS payments_transaction_currency_check();
DROP TRIGGER IF EXISTS payment_currency_is_order_currency ON payments_payment;
DROP FUNCTION IF EXISTS payments_payment_currency_check();
"""


def _run(schema_editor, sql: str) -> None:
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(sql)  # no parameters: the "%" in the messages stay as they are


def forward(apps, schema_editor):
    _run(schema_editor, FORWARD)


def backward(apps, schema_editor):
    _run(schema_editor, BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
