from django.utils.datastructures import MultiValueDict
from django.utils.text import slugify

# Unicode decomposition turns ç, ğ, ö, ş, ü and İ into ASCII letters, but the dotless ı has no
# decomposition and would vanish ("Kırmızı" -> "krmz").
_TURKISH = str.maketrans({"ı": "i", "İ": "i"})


def slugify_tr(value: str) -> str:
    return slugify((value or "").translate(_TURKISH))


def holds_nul(fields: MultiValueDict) -> bool:
    """A NUL in a form field's name or value, or in an uploaded file's name (no field of
    Omni's may hold one, and PostgreSQL keeps none in text: omni.guard)."""
    return any(
        "\x00" in name
        or any("\x00" in (v if isinstance(v, str) else (v.name or "")) for v in values)
        for name, values in fields.lists()
    )
