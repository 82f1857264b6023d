"""Possible duplicates: pairs of profiles that look like one person, for merchant staff to merge
by hand (customers.merge). Nothing is merged automatically.

Two profiles are a candidate pair when they share
- an e-mail address (the profile's own, lower-cased, or an e-mail identity),
- a phone number (a phone identity in E.164, or the profile's own phone read as E.164 in SQL:
  0532..., 532..., 90532... and +90532... are one number), or
- a first and last name in one city (of a saved address), case and spaces aside.

One SQL query finds the pairs (a self-join of the keys on key), a second reads their profiles.
Profiles merged away are left out, and so are two accounts' profiles (an account's profile is
never merged away).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from customers.models import Customer


@dataclass(frozen=True)
class DuplicatePair:
    """`source` is the profile to merge away, `target` the one to keep: the account's profile,
    else the older."""

    source: Customer
    target: Customer
    reasons: tuple[str, ...]


# A profile's phone as typed is read as E.164 where it is a Turkish number (customers.identity's
# rule for the common forms: 90532..., 0532..., 532...); anything else is kept as its digits.
_DUPLICATES_SQL = """
WITH live AS (
  SELECT id, user_id, email, phone, first_name, last_name
    FROM customers_customer WHERE merged_into_id IS NULL
), keys AS (
  SELECT id AS customer_id, 'email' AS reason, LOWER(email) AS key FROM live WHERE email <> ''
  UNION
  SELECT i.customer_id, i.kind, i.value
    FROM customers_customeridentity i JOIN live ON live.id = i.customer_id
   WHERE i.kind IN ('email', 'phone')
  UNION
  SELECT id, 'phone',
         CASE WHEN d ~ '^90[0-9]{10}$' THEN '+' || d
              WHEN d ~ '^0[0-9]{10}$' THEN '+9' || d
              WHEN d ~ '^[0-9]{10}$' THEN '+90' || d
              ELSE '+' || d END
    FROM (SELECT id, regexp_replace(phone, '[^0-9]', '', 'g') AS d FROM live
           WHERE phone <> '') typed
   WHERE d <> ''
  UNION
  SELECT live.id, 'name_city',
         LOWER(TRIM(live.first_name)) || ' ' || LOWER(TRIM(live.last_name))
         || '|' || LOWER(TRIM(a.city))
    FROM live JOIN customers_address a ON a.customer_id = live.id
   WHERE TRIM(live.first_name) <> '' AND TRIM(live.last_name) <> ''
)
SELECT a.customer_id, b.customer_id, array_agg(DISTINCT a.reason ORDER BY a.reason)
  FROM keys a
  JOIN keys b ON b.reason = a.reason AND b.key = a.key AND b.customer_id > a.customer_id
  JOIN live ca ON ca.id = a.customer_id
  JOIN live cb ON cb.id = b.customer_id
 WHERE ca.user_id IS NULL OR cb.user_id IS NULL
 GROUP BY a.customer_id, b.customer_id
 ORDER BY b.customer_id DESC, a.customer_id DESC
 LIMIT %s OFFSET %s
"""


def duplicate_pairs(*, limit: int = 50, offset: int = 0) -> list[DuplicatePair]:
    """Candidate pairs, the newest profiles first. Two queries whatever the count."""
    with connection.cursor() as cursor:
        cursor.execute(_DUPLICATES_SQL, [limit, offset])
        rows = cursor.fetchall()
    ids = {pk for first, second, _reasons in rows for pk in (first, second)}
    customers = Customer.objects.in_bulk(ids)
    pairs = []
    for first, second, reasons in rows:
        older, newer = customers[first], customers[second]
        # The account's profile survives; between two guests, the older one.
        source, target = (older, newer) if newer.user_id is not None else (newer, older)
        pairs.append(DuplicatePair(source=source, target=target, reasons=tuple(reasons)))
    return pairs
