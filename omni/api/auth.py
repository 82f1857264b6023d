import re
from datetime import datetime
from functools import lru_cache
from hmac import compare_digest
from typing import cast

from django.db import connection
from django.db.models import Model, OneToOneField
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.crypto import hash_token
from knox.models import get_token_model
from knox.settings import CONSTANTS, knox_settings
from rest_framework import authentication, exceptions

from omni.db import columns, from_row


class TokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>` with django-rest-knox's hashed tokens (one per signed-in
    device, KNOX_TOKEN_MODEL): the token is found by its first characters, proved by its digest
    compared in constant time, refused once expired, and its expiry slides with use.

    The token and its user come in one plain query (the ORM's select_related was slower to
    build it: README, "Benchmarks", and bench/checkout.py), and with them the user's profile
    when a subclass names one (`user_profile_model`, a model with a one-to-one `user` field),
    cached as select_related would cache it. The app that owns the profile subclasses this, so
    the plumbing knows no domain model: customers.api.auth.TokenAuthentication is the class the
    API uses. Sliding the expiry writes at most once per knox's MIN_REFRESH_INTERVAL per token."""

    keyword = "Token"
    user_profile_model: type[Model] | None = None

    def authenticate_credentials(self, key):
        if isinstance(key, bytes):
            key = key.decode("latin-1")
        if not _well_formed(key):  # also keeps NUL bytes and the like from the database
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        token_model = get_token_model()
        user_model = token_model._meta.get_field("user").related_model
        profile_model = self.user_profile_model
        sql, token_end, user_end, digest_at = _token_sql(token_model, user_model, profile_model)
        with connection.cursor() as cursor:
            cursor.execute(sql, [key[: CONSTANTS.TOKEN_KEY_LENGTH]])
            rows = cursor.fetchall()
        digest = hash_token(key)
        # Rarely more than one row (tokens that begin alike): each is compared, so the time
        # taken tells nothing of how much of the digest matched.
        row = None
        for candidate in rows:
            if compare_digest(candidate[digest_at], digest):
                row = candidate
        if row is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        token = from_row(token_model, row[:token_end])
        now = timezone.now()
        if token.expiry is not None and token.expiry <= now:
            raise exceptions.AuthenticationFailed(_("The token has expired; sign in again."))
        user = from_row(user_model, row[token_end:user_end])
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        _slide(token, now)
        if profile_model is not None:
            # As select_related("user", "user__<profile>") leaves them: None is "no profile yet".
            link = cast(OneToOneField, profile_model._meta.get_field("user"))
            profile = None if row[user_end] is None else from_row(profile_model, row[user_end:])
            if profile is not None:
                link.set_cached_value(profile, user)
            link.remote_field.set_cached_value(user, profile)
        token._state.fields_cache["user"] = user
        return user, token


def _well_formed(key: str) -> bool:
    return (
        _key_pattern(
            knox_settings.TOKEN_PREFIX, knox_settings.AUTH_TOKEN_CHARACTER_LENGTH
        ).fullmatch(key)
        is not None
    )


@lru_cache(maxsize=4)
def _key_pattern(prefix: str, length: int) -> re.Pattern:
    # knox's tokens are its prefix and then hex digits (knox.crypto.create_token_string).
    return re.compile(re.escape(prefix) + f"[0-9a-f]{{{length}}}")


def _slide(token, now: datetime) -> None:
    """Each use moves the expiry to a full TTL from now (up to AUTO_REFRESH_MAX_TTL after the
    sign-in) and records the use: one UPDATE, only once MIN_REFRESH_INTERVAL has passed since
    the last, so a busy app does not write on every request."""
    if (now - token.last_used).total_seconds() < knox_settings.MIN_REFRESH_INTERVAL:
        return
    expiry = token.expiry
    if knox_settings.AUTO_REFRESH and expiry is not None and knox_settings.TOKEN_TTL:
        expiry = now + knox_settings.TOKEN_TTL
        if knox_settings.AUTO_REFRESH_MAX_TTL is not None:
            expiry = min(expiry, token.created + knox_settings.AUTO_REFRESH_MAX_TTL)
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(_slide_sql(type(token)), [adapt(now), adapt(expiry), token.pk])
    token.last_used, token.expiry = now, expiry


@lru_cache(maxsize=4)
def _slide_sql(token_model) -> str:
    quote = connection.ops.quote_name
    meta = token_model._meta
    last_used, expiry = meta.get_field("last_used").column, meta.get_field("expiry").column
    # The model's own table and columns; the values are parameters.
    return (
        f"UPDATE {quote(meta.db_table)} SET {quote(last_used)} = %s, "  # noqa: S608
        f"{quote(expiry)} = %s WHERE {quote(meta.pk.column)} = %s"
    )


@lru_cache(maxsize=4)
def _token_sql(token_model, user_model, profile_model) -> tuple[str, int, int, int]:
    """The query, where the user's (and the profile's) columns start in its row, and where the
    token's digest is."""
    quote = connection.ops.quote_name
    token_key = quote(token_model._meta.get_field("token_key").column)
    user_fk = quote(token_model._meta.get_field("user").column)
    user_pk = quote(user_model._meta.pk.column)
    # The models' own tables and columns; the key is a parameter.
    select = f"SELECT {columns(token_model, 't')}, {columns(user_model, 'u')}"
    joins = (
        f"FROM {quote(token_model._meta.db_table)} t "
        f"JOIN {quote(user_model._meta.db_table)} u ON u.{user_pk} = t.{user_fk} "
    )
    if profile_model is not None:
        profile_fk = quote(profile_model._meta.get_field("user").column)
        select += f", {columns(profile_model, 'c')}"
        joins += (
            f"LEFT JOIN {quote(profile_model._meta.db_table)} c ON c.{profile_fk} = u.{user_pk} "
        )
    sql = f"{select} {joins}WHERE t.{token_key} = %s"
    token_fields = token_model._meta.concrete_fields
    token_end = len(token_fields)
    digest_at = [f.name for f in token_fields].index("digest")
    return sql, token_end, token_end + len(user_model._meta.concrete_fields), digest_at
