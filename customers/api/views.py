from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import throttle
from customers import data_requests, merge, selectors, services, timeline, verification, visitors
from customers.api.serializers import (
    ConsentInput,
    ConsentOutput,
    Customer360Output,
    DataRequestInput,
    DataRequestOutput,
    DuplicatePairOutput,
    IdentityClaimInput,
    IdentityClaimOutput,
    IdentityOutput,
    IdentityVerifyInput,
    MergeInput,
    MergeOutput,
    StaffDataRequestInput,
    StaffDataRequestOutput,
    StaffNoteInput,
    TimelineEventInput,
    TimelineEventOutput,
    TimelineIngestInput,
    TimelineIngestOutput,
    TimelinePageOutput,
    TimelineQueryInput,
)
from customers.duplicates import duplicate_pairs
from customers.merge import customer_merge, customer_resolve
from customers.models import Customer
from customers.notes import staff_note_add
from omni.api.exceptions import flatten_errors
from omni.api.permissions import require_perms
from omni.client_address import client_address
from omni.errors import ValidationError
from sales_channels.api.channel import CHANNEL_PARAMETER, request_channel


class MyConsentsApi(APIView):
    """The signed-in customer's consents to commercial messages (KVKK and IYS): the decision in
    force per channel and recipient type. Withdrawing (RET) is as easy as giving (ONAY)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=ConsentOutput(many=True), tags=["me"])
    def get(self, request):
        customer = services.customer_for_user(user=request.user)
        return Response(
            ConsentOutput(selectors.consents_current(customer=customer), many=True).data
        )

    @extend_schema(request=ConsentInput, responses={201: ConsentOutput}, tags=["me"])
    def post(self, request):
        data = ConsentInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        decision = services.consent_record(
            customer=services.customer_for_user(user=request.user),
            consent_type=values["type"],
            recipient_type=values["recipient_type"],
            status=values["status"],
            source=values["channel"],
            text_version=values["text_version"],
            ip_address=client_address(request) or None,
        )
        return Response(ConsentOutput(decision).data, status=status.HTTP_201_CREATED)


# --- the timeline -------------------------------------------------------------------------------


class TimelineIngestApi(APIView):
    """A batch of up to 500 behavioural events from the app or the storefront (product views,
    searches, carts), on the request's channel (`?channel=` or the Omni-Channel header).

    Signed in, the events are the customer's. Anonymous, they are a visitor's: the first batch
    without a `visitor_token` starts a new visitor, and the answer hands back its token (in the
    body, the `X-Omni-Visitor` header and the `omni_visitor` cookie); later batches and the
    sign-in send it, and the sign-in joins that visitor's events to the profile. The server
    issues visitor ids (customers.visitors): a client cannot write under, or claim, another
    visitor's. Each event is checked on its own: the answer is 200 with the indexes of the
    events `accepted` (stored, or stored before: a replay stores nothing new) and those
    `rejected` with their field errors; the good ones of a partly bad batch are stored. A
    request that is wholly bad (no list, more than 500 events, an unknown channel, a token the
    server did not issue) is a 400 in the one error shape and stores nothing. Batches are
    limited per client and per address (accounts.throttle, `events.*`): past it, a 429
    `throttled` with Retry-After."""

    permission_classes = [AllowAny]

    @extend_schema(
        request=TimelineIngestInput,
        responses=TimelineIngestOutput,
        parameters=[CHANNEL_PARAMETER],
        tags=["events"],
    )
    def post(self, request):
        batch = TimelineIngestInput(data=request.data)
        batch.is_valid(raise_exception=True)
        channel = request_channel(request)
        customer, visitor_id, token = None, None, None
        if request.user.is_authenticated:
            throttle.events_attempt(request, client=f"user:{request.user.pk}")
            customer = services.customer_for_user(user=request.user, channel=channel)
        else:
            token = visitors.visitor_token_sent(request, batch.validated_data.get("visitor_token"))
            if token:
                visitor_id = visitors.visitor_token_read(token)
                if visitor_id is None:
                    raise ValidationError.for_field(
                        "visitor_token",
                        _("This visitor token was not issued here; send the batch without it."),
                        code="invalid",
                    )
            else:
                visitor_id, token = visitors.visitor_token_issue()
            throttle.events_attempt(request, client=f"visitor:{visitor_id}")
        accepted, rejected, good = _ingest_events(batch.validated_data["events"])
        timeline.timeline_ingest(
            events=good, channel=channel, customer=customer, visitor_id=visitor_id
        )
        body = {"accepted": accepted, "rejected": rejected}
        if token is None:
            return Response(TimelineIngestOutput(body).data)
        response = Response(TimelineIngestOutput({**body, "visitor_token": token}).data)
        return visitors.visitor_token_hand_back(response, token)


def _ingest_events(items: list) -> tuple[list[int], list[dict], list[timeline.IngestEvent]]:
    """Each event checked on its own: the accepted indexes, the rejected with their field
    errors, and the good events."""
    accepted, rejected, good = [], [], []
    for index, item in enumerate(items):
        event = TimelineEventInput(data=item)
        if not event.is_valid():
            rejected.append({"index": index, "fields": flatten_errors(event.errors)})
            continue
        values = event.validated_data
        accepted.append(index)
        good.append(
            timeline.IngestEvent(
                event_id=values["id"],
                kind=values["kind"],
                occurred_at=values["occurred_at"],
                data=values["data"],
            )
        )
    return accepted, rejected, good


def _timeline_page(request, customer: Customer) -> Response:
    params = request.query_params
    query = TimelineQueryInput(
        data={
            **({"cursor": params["cursor"]} if params.get("cursor") else {}),
            **({"limit": params["limit"]} if params.get("limit") else {}),
            "kind": [k for value in params.getlist("kind") for k in value.split(",") if k],
            "channel": [c for value in params.getlist("channel") for c in value.split(",") if c],
        }
    )
    query.is_valid(raise_exception=True)
    values = query.validated_data
    page = selectors.timeline_read(
        customer,
        cursor=values.get("cursor"),
        kinds=values.get("kind", ()),
        channels=values.get("channel", ()),
        limit=values["limit"],
    )
    return Response(TimelinePageOutput(page).data)


TIMELINE_PARAMETERS = [
    OpenApiParameter("cursor", str, description="next_cursor of the page before"),
    OpenApiParameter("kind", str, many=True, description="kinds, repeated or comma-separated"),
    OpenApiParameter("channel", str, many=True, description="channel codes"),
    OpenApiParameter("limit", int, description="events per page, 1 to 100 (50)"),
]


class MyTimelineApi(APIView):
    """The signed-in customer's own timeline, newest first, cursor-paginated."""

    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=TIMELINE_PARAMETERS, responses=TimelinePageOutput, tags=["me"])
    def get(self, request):
        return _timeline_page(request, services.customer_for_user(user=request.user))


class IsCustomerStaff(BasePermission):
    message = "Only store staff, or merchant staff with the permission, may do this."

    def has_permission(self, request, view) -> bool:
        return selectors.user_may_view_customers(request.user)


class StaffCustomerTimelineApi(APIView):
    """A customer's timeline for store staff and merchant staff who may view customers."""

    permission_classes = [IsCustomerStaff]

    @extend_schema(parameters=TIMELINE_PARAMETERS, responses=TimelinePageOutput, tags=["staff"])
    def get(self, request, customer_id: int):
        # A merged-away id shows the survivor's timeline.
        return _timeline_page(request, customer_resolve(customer_id))


class StaffCustomerNotesApi(APIView):
    """A note on a customer's timeline by store staff or merchant staff, signed by its author."""

    permission_classes = [IsCustomerStaff]

    @extend_schema(request=StaffNoteInput, responses={201: TimelineEventOutput}, tags=["staff"])
    def post(self, request, customer_id: int):
        customer = customer_resolve(customer_id)  # a merged-away id: the survivor
        data = StaffNoteInput(data=request.data)
        data.is_valid(raise_exception=True)
        added = staff_note_add(
            customer=customer, author=request.user, text=data.validated_data["text"]
        )
        return Response(TimelineEventOutput(added.event).data, status=status.HTTP_201_CREATED)


class StaffCustomer360Api(APIView):
    """One person across every channel, for staff who may view customers: profile,
    identities, addresses, the consents in force, the first timeline page, data requests,
    recent orders and carts in progress on any channel, and the metrics, segments and loyalty
    sections once their apps register them. Reading one customer at a time only: there is no
    bulk export here. Orders routes it under staff/customers/<id>/ with its own permission (who
    acts for customers may read them too)."""

    permission_classes = [IsCustomerStaff]

    @extend_schema(responses=Customer360Output, tags=["staff"])
    def get(self, request, customer_id: int):
        customer = selectors.customer_360_get(pk=merge.customer_resolved_pk(customer_id))
        return Response(Customer360Output(selectors.customer_360(customer=customer)).data)


class MyIdentitiesApi(APIView):
    """The signed-in customer's own identities: e-mail addresses, phone numbers (E.164), the
    loyalty card and marketplace buyer ids, and whether each is verified."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=IdentityOutput(many=True), tags=["me"])
    def get(self, request):
        customer = services.customer_for_user(user=request.user)
        return Response(IdentityOutput(selectors.identities_of(customer=customer), many=True).data)

    @extend_schema(request=IdentityClaimInput, responses={201: IdentityClaimOutput}, tags=["me"])
    def post(self, request):
        """Claim an e-mail address or phone number: a 6-digit code is sent to it (valid 10
        minutes), to be posted to .../{id}/verify/. Nothing is joined until it is."""
        data = IdentityClaimInput(data=request.data)
        data.is_valid(raise_exception=True)
        customer = services.customer_for_user(user=request.user)
        claim = verification.identity_claim(customer=customer, **data.validated_data)
        if claim.sent_at is None:
            claim = verification.identity_claim_send(customer=customer, claim_id=claim.pk)
        return Response(IdentityClaimOutput(claim).data, status=status.HTTP_201_CREATED)


class MyIdentityClaimSendApi(APIView):
    """Send a new code for a claim (the earlier one stops working): at most once a minute (429
    with Retry-After) and 5 times a claim."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=IdentityClaimOutput, tags=["me"])
    def post(self, request, claim_id: int):
        claim = verification.identity_claim_send(
            customer=services.customer_for_user(user=request.user), claim_id=claim_id
        )
        return Response(IdentityClaimOutput(claim).data)


class MyIdentityClaimVerifyApi(APIView):
    """Prove a claim with its code: the identity becomes the customer's, verified, and a guest
    profile that held it (its orders, carts, addresses, timeline, consents) is joined to
    theirs. A wrong code is a 400 on `code`; 5 wrong codes or 10 minutes end the code."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=IdentityVerifyInput, responses=IdentityOutput, tags=["me"])
    def post(self, request, claim_id: int):
        data = IdentityVerifyInput(data=request.data)
        data.is_valid(raise_exception=True)
        identity = verification.identity_claim_verify(
            customer=services.customer_for_user(user=request.user),
            claim_id=claim_id,
            code=data.validated_data["code"],
        )
        return Response(IdentityOutput(identity).data)


# --- merchant: duplicates and merges --------------------------------------------------------------


class MerchantDuplicatesApi(APIView):
    """Possible duplicates for merchant staff (customers.view_customer): pairs of profiles that
    share a phone, an e-mail address, or a name in one city, the newest first, with the
    suggested direction (the account's profile, else the older, survives)."""

    permission_classes = [require_perms("customers.view_customer")]

    @extend_schema(
        parameters=[
            OpenApiParameter("limit", int, description="pairs per page, 1 to 100 (50)"),
            OpenApiParameter("offset", int, description="pairs to skip"),
        ],
        responses=DuplicatePairOutput(many=True),
        tags=["merchant"],
    )
    def get(self, request):
        limit = _bounded(request.query_params.get("limit"), "limit", 50, 1, 100)
        offset = _bounded(request.query_params.get("offset"), "offset", 0, 0, 1_000_000)
        pairs = duplicate_pairs(limit=limit, offset=offset)
        return Response(DuplicatePairOutput(pairs, many=True).data)


def _bounded(raw: str | None, field: str, default: int, low: int, high: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise ValidationError.for_field(field, f"Give a number from {low} to {high}.")
    return value


class MerchantMergeApi(APIView):
    """Merge one profile into another, explicitly (customers.change_customer): everything the
    source holds moves to the target, and the source's id resolves to the target from then on.
    A profile already merged is a 409 `customer_merged`; an account's profile cannot be the
    source (409 `merge_account_source`)."""

    permission_classes = [require_perms("customers.change_customer")]

    @extend_schema(request=MergeInput, responses={201: MergeOutput}, tags=["merchant"])
    def post(self, request):
        data = MergeInput(data=request.data)
        data.is_valid(raise_exception=True)
        found = Customer.objects.in_bulk(
            [data.validated_data["source"], data.validated_data["target"]]
        )
        for field in ("source", "target"):
            if data.validated_data[field] not in found:
                raise ValidationError.for_field(field, "No such customer.", code="not_found")
        merge = customer_merge(
            source=found[data.validated_data["source"]],
            target=found[data.validated_data["target"]],
            actor=request.user,
        )
        return Response(MergeOutput(merge).data, status=status.HTTP_201_CREATED)


# --- KVKK data-subject requests ------------------------------------------------------------------


class MyDataRequestsApi(APIView):
    """The signed-in customer's KVKK requests: an export of everything held about them, or
    their erasure, each answered within 30 days (`due_at`). At most one open request of each
    kind: a second is a 409 `data_request_open`."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=DataRequestOutput(many=True), tags=["me"])
    def get(self, request):
        customer = services.customer_for_user(user=request.user)
        return Response(
            DataRequestOutput(data_requests.data_requests_of(customer=customer), many=True).data
        )

    @extend_schema(request=DataRequestInput, responses={201: DataRequestOutput}, tags=["me"])
    def post(self, request):
        data = DataRequestInput(data=request.data)
        data.is_valid(raise_exception=True)
        created = data_requests.data_request_create(
            customer=services.customer_for_user(user=request.user),
            kind=data.validated_data["kind"],
        )
        return Response(DataRequestOutput(created).data, status=status.HTTP_201_CREATED)


class MyDataRequestDownloadApi(APIView):
    """The archive of one of the customer's own export requests, once it is done. Another
    person's request, or one not ready, is a 404."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={(200, "application/zip"): bytes}, tags=["me"])
    def get(self, request, request_id: int):
        customer = services.customer_for_user(user=request.user)
        found = data_requests.data_request_archive_of(customer=customer, request_id=request_id)
        return FileResponse(
            found.archive.open("rb"),
            as_attachment=True,
            filename=f"kvkk-export-{found.pk}.zip",
            content_type="application/zip",
        )


class MayOpenDataRequests(BasePermission):
    message = "Only merchant staff with the permission may record data requests."

    def has_permission(self, request, view) -> bool:
        return selectors.user_may_open_data_requests(request.user)


class StaffCustomerDataRequestsApi(APIView):
    """A person's KVKK requests, for customer service: the list with each deadline and the
    overdue flag, and POST to record an export or erasure the person asked for by phone, letter
    or in a store, with how their identity was checked (`proof_note`). The same 30-day deadline
    and the same one-open-request-per-kind rule (409 `data_request_open`) as the person's own."""

    permission_classes = [MayOpenDataRequests]

    def _customer(self, customer_id: int) -> Customer:
        return customer_resolve(customer_id)  # a merged-away id: the survivor

    @extend_schema(responses=StaffDataRequestOutput(many=True), tags=["staff"])
    def get(self, request, customer_id: int):
        found = data_requests.data_requests_of_customer_for_staff(
            customer=self._customer(customer_id)
        )
        return Response(StaffDataRequestOutput(found, many=True).data)

    @extend_schema(
        request=StaffDataRequestInput, responses={201: StaffDataRequestOutput}, tags=["staff"]
    )
    def post(self, request, customer_id: int):
        customer = self._customer(customer_id)
        data = StaffDataRequestInput(data=request.data)
        data.is_valid(raise_exception=True)
        created = data_requests.data_request_create(
            customer=customer,
            kind=data.validated_data["kind"],
            requested_by=request.user,
            proof_note=data.validated_data["proof_note"],
        )
        return Response(StaffDataRequestOutput(created).data, status=status.HTTP_201_CREATED)
