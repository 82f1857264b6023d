"""The shared serializer bases copy their fields per instance: no state leaks between two
serializers made at once, however the fields are copied."""

from rest_framework import serializers

from accounts.models import User
from omni.api.serializers import ModelSerializer, Serializer


class Greeting(Serializer):
    name = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField(), required=False)
    greeting = serializers.SerializerMethodField()

    def get_greeting(self, obj) -> str:
        return f"{self.context['hello']} {obj['name']}"


class Outer(Serializer):
    inner = Greeting()
    many = Greeting(many=True)


class UserOut(ModelSerializer):
    class Meta:
        model = User
        fields = ["email", "first_name"]


def test_each_instance_has_fields_of_its_own_bound_to_it():
    first, second = Greeting(context={"hello": "Merhaba"}), Greeting(context={"hello": "Hi"})
    for name in ("name", "tags", "greeting"):
        assert first.fields[name] is not second.fields[name]
        assert first.fields[name].parent is first
        assert second.fields[name].parent is second
    assert first.fields["tags"].child is not second.fields["tags"].child
    assert first.fields["tags"].child.parent is first.fields["tags"]


def test_nested_and_many_serializers_read_their_own_roots_context():
    row = {"name": "Ayşe"}
    data = {"inner": row, "many": [row, row]}
    tr = Outer(data, context={"hello": "Merhaba"}).data
    en = Outer(data, context={"hello": "Hi"}).data
    assert tr["inner"]["greeting"] == "Merhaba Ayşe"
    assert [g["greeting"] for g in tr["many"]] == ["Merhaba Ayşe"] * 2
    assert en["inner"]["greeting"] == "Hi Ayşe"
    assert [g["greeting"] for g in en["many"]] == ["Hi Ayşe"] * 2


def test_validation_errors_stay_with_their_instance():
    bad, good = Greeting(data={"tags": [""]}), Greeting(data={"name": "Ali", "tags": ["a"]})
    assert not bad.is_valid()
    assert good.is_valid(), good.errors
    assert set(bad.errors) == {"name", "tags"}


def test_model_serializer_fields_are_built_once_per_class_and_copied():
    user = User(email="a@omni.test", first_name="Ayşe")
    one, two = UserOut(user), UserOut(user)
    assert one.fields["email"] is not two.fields["email"]
    assert one.data == {"email": "a@omni.test", "first_name": "Ayşe"}
    assert "_omni_fields" in UserOut.__dict__
