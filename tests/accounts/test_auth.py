import pytest

from accounts.models import DeviceToken, User
from tests import factories as f
from tests.queries import assert_num_queries


@pytest.mark.django_db
def test_a_shopper_signs_up_in_the_app_and_gets_a_token(api):
    response = api.post(
        "/api/v1/auth/signup/",
        {"email": "  Ayse@Example.COM ", "password": "kapadokya-balon-42", "first_name": "Ayşe"},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["user"]["email"] == "ayse@example.com"
    assert body["user"]["role"] == "customer"
    api.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert api.get("/api/v1/me/").json()["first_name"] == "Ayşe"


@pytest.mark.django_db
def test_the_same_email_in_other_case_cannot_sign_up_twice(api):
    f.UserFactory(email="ayse@example.com")
    response = api.post(
        "/api/v1/auth/signup/",
        {"email": "AYSE@example.com", "password": "kapadokya-balon-42"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "email_taken"
    assert list(response.json()["fields"]) == ["email"]
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_a_weak_password_is_refused_with_the_reason(api):
    response = api.post(
        "/api/v1/auth/signup/", {"email": "a@example.com", "password": "12345678"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["password"]
    assert not User.objects.exists()


@pytest.mark.django_db
def test_sign_in_with_the_right_password_only(api):
    user = f.UserFactory(email="ayse@example.com")
    wrong = api.post(
        "/api/v1/auth/token/", {"email": "ayse@example.com", "password": "nope"}, format="json"
    )
    assert (wrong.status_code, wrong.json()["code"]) == (400, "invalid_credentials")

    right = api.post(
        "/api/v1/auth/token/", {"email": "Ayse@example.com", "password": f.PASSWORD}, format="json"
    )
    assert right.status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Token {right.json()['token']}")
    assert api.get("/api/v1/me/").json()["id"] == user.pk


@pytest.mark.django_db
def test_sign_out_revokes_this_devices_token_only(api):
    user = f.UserFactory()
    other_device = f.token_for(user)
    api.credentials(HTTP_AUTHORIZATION=f"Token {f.token_for(user)}")
    assert api.post("/api/v1/auth/signout/").status_code == 204
    assert DeviceToken.objects.filter(user=user).count() == 1
    assert api.get("/api/v1/me/").status_code == 401
    api.credentials(HTTP_AUTHORIZATION=f"Token {other_device}")
    assert api.get("/api/v1/me/").status_code == 200


@pytest.mark.django_db
def test_the_profile_can_be_changed_but_not_the_role(api):
    user = f.UserFactory()
    api.force_authenticate(user)
    response = api.patch("/api/v1/me/", {"language": "en", "role": "merchant_staff"}, format="json")
    assert response.status_code == 200
    user.refresh_from_db()
    assert (user.language, user.role) == ("en", "customer")


@pytest.mark.django_db
def test_a_shopper_signs_up_and_in_through_the_browser(client):
    page = client.get("/accounts/sign-up/")
    assert page.status_code == 200
    response = client.post(
        "/accounts/sign-up/", {"email": "web@example.com", "password": "kapadokya-balon-42"}
    )
    assert response.status_code == 302
    assert client.get("/api/v1/me/").json()["email"] == "web@example.com"

    client.post("/accounts/sign-out/")
    assert client.get("/api/v1/me/").status_code == 401
    response = client.post(
        "/accounts/sign-in/", {"username": "web@example.com", "password": "kapadokya-balon-42"}
    )
    assert response.status_code == 302
    assert client.get("/api/v1/me/").status_code == 200


@pytest.mark.django_db
def test_a_bad_browser_sign_up_keeps_what_was_typed_and_names_the_field(client):
    f.UserFactory(email="taken@example.com")
    response = client.post(
        "/accounts/sign-up/",
        {"email": "taken@example.com", "password": "kapadokya-balon-42", "first_name": "Ali"},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == ["email"]
    assert 'value="Ali"' in response.content.decode()


@pytest.mark.django_db
def test_a_token_of_a_deactivated_user_or_an_unknown_token_is_refused(api):
    user = f.UserFactory()
    token = f.token_for(user)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/me/").status_code == 200

    User.objects.filter(pk=user.pk).update(is_active=False)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}", HTTP_ACCEPT_LANGUAGE="en")
    response = api.get("/api/v1/me/")
    assert (response.status_code, response.json()["message"]) == (401, "User inactive or deleted.")

    api.credentials(HTTP_AUTHORIZATION=f"Token {token[:-1]}x", HTTP_ACCEPT_LANGUAGE="en")
    response = api.get("/api/v1/me/")
    assert (response.status_code, response.json()["message"]) == (401, "Invalid token.")


@pytest.mark.django_db
def test_the_token_user_and_customer_profile_are_read_in_one_query():
    from customers.api.auth import TokenAuthentication
    from customers.models import Customer

    with_profile, without = f.UserFactory(), f.UserFactory()
    profile = Customer.objects.create(user=with_profile, email=with_profile.email)
    keys = f.token_for(with_profile), f.token_for(without)
    auth = TokenAuthentication()
    with assert_num_queries(1):
        user, token = auth.authenticate_credentials(keys[0])
    with assert_num_queries(0):
        assert (user, token.user, user.customer, user.customer.user) == (
            with_profile,
            with_profile,
            profile,
            with_profile,
        )
        assert user.email == with_profile.email and user.check_password(f.PASSWORD)

    with assert_num_queries(1):
        user, _token = auth.authenticate_credentials(keys[1])
    with assert_num_queries(0), pytest.raises(Customer.DoesNotExist):
        user.customer  # noqa: B018 (no profile yet: known without a query)
