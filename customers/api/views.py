from django.http import FileResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from customers import data_requests, selectors, services, timeline
from customers.api.serializers import (
    ConsentInput,
    ConsentOutput,
    DataRequestInput,
    DataRequestOutput,
    IdentityOutput,
    StaffNoteInput,
    TimelineEventInput,
    TimelineEventOutput,
    TimelineIngestInput,
    TimelineIngestOutput,
    TimelinePageOutput,
    TimelineQueryInput,
)
from customers.models import Customer
from omni.api.exceptions import flatten_errors
from omni.client_address import client_address
from omni.errors import NotFound, ValidationError
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

    Signed in, the events are the customer's; anonymous, they carry the device's `visitor_id`
    and join the profile when the visitor signs in with it. Each event is checked on its own:
    the answer is 200 with the indexes of the events `accepted` (stored, or stored before: a
    replay stores nothing new) and those `rejected` with their field errors; the good ones of a
    partly bad batch are stored. A request that is wholly bad (no list, more than 500 events, an
    unknown channel, no visitor id when anonymous) is a 400 in the one error shape and stores
    nothing."""

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
        visitor_id = batch.validated_data.get("visitor_id")
        customer = None
        if request.user.is_authenticated:
            customer = services.customer_for_user(user=request.user, channel=channel)
        elif visitor_id is None:
            raise ValidationError.for_field(
                "visitor_id", "Send the visitor id with anonymous events.", code="required"
            )
        accepted, rejected, good = [], [], []
        for index, item in enumerate(batch.validated_data["events"]):
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
        timeline.timeline_ingest(
            events=good, channel=channel, customer=customer, visitor_id=visitor_id
        )
        return Response(TimelineIngestOutput({"accepted": accepted, "rejected": rejected}).data)


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
        customer = Customer.objects.filter(pk=customer_id).first()
        if customer is None:
            raise NotFound("No such customer.")
        return _timeline_page(request, customer)


class StaffCustomerNotesApi(APIView):
    """A note on a customer's timeline by store staff or merchant staff, signed by its author."""

    permission_classes = [IsCustomerStaff]

    @extend_schema(request=StaffNoteInput, responses={201: TimelineEventOutput}, tags=["staff"])
    def post(self, request, customer_id: int):
        customer = Customer.objects.filter(pk=customer_id).first()
        if customer is None:
            raise NotFound("No such customer.")
        data = StaffNoteInput(data=request.data)
        data.is_valid(raise_exception=True)
        note = timeline.timeline_note_add(
            customer=customer, author=request.user, text=data.validated_data["text"]
        )
        return Response(TimelineEventOutput(note).data, status=status.HTTP_201_CREATED)


class MyIdentitiesApi(APIView):
    """The signed-in customer's own identities: e-mail addresses, phone numbers (E.164), the
    loyalty card and marketplace buyer ids, and whether each is verified."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=IdentityOutput(many=True), tags=["me"])
    def get(self, request):
        customer = services.customer_for_user(user=request.user)
        return Response(IdentityOutput(selectors.identities_of(customer=customer), many=True).data)


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
