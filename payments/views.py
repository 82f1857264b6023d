"""Pages and endpoints the providers and the shopper's browser reach: signed webhooks, and the
page the shopper comes back to after 3-D Secure."""

from __future__ import annotations

import logging

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from omni.errors import OmniError, ValidationError
from payments import services
from payments.gateways.base import GATEWAYS, InvalidSignature
from payments.models import Payment
from payments.selectors import GatewayRefused

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, gateway_code: str) -> HttpResponse:
    """POST /payments/webhooks/<gateway>/: 400 and nothing changes when the signature or its
    timestamp does not verify, or the gateway is refused here; 503 when the provider had to be
    asked and could not be reached; 200 for a handled, duplicate, ignored or refused (amount,
    currency: see services.webhook_handle) notification."""
    if gateway_code not in GATEWAYS:
        raise Http404
    try:
        result = services.webhook_handle(
            gateway_code=gateway_code, headers=dict(request.headers), body=request.body
        )
    except GatewayRefused as error:  # not allowed here, or its secrets are refused: logged
        return JsonResponse({"code": error.code, "message": str(error.message)}, status=400)
    except services.GatewayUnavailable as error:  # the provider sends it again later
        return JsonResponse({"code": error.code, "message": str(error.message)}, status=503)
    except (InvalidSignature, ValidationError) as error:
        logger.warning("%s webhook refused: %s", gateway_code, error)
        return JsonResponse({"code": "invalid_signature", "message": str(error)}, status=400)
    return JsonResponse({"outcome": result.outcome})


@csrf_exempt  # the provider's page posts the shopper back here
@require_http_methods(["GET", "POST"])
def payment_return(request: HttpRequest, reference: str) -> HttpResponse:
    """Where the provider sends the shopper after 3-D Secure: finish the payment (the result is
    asked of the provider, not taken from the browser) and say how it went."""
    payment = Payment.objects.select_related("order", "channel").filter(reference=reference).first()
    if payment is None:
        raise Http404
    error = ""
    try:
        payment = services.payment_complete(
            payment=payment, params={**request.GET.dict(), **request.POST.dict()}
        )
    except OmniError as exc:
        error = exc.message
    return render(
        request,
        "payments/return.html",
        {"payment": payment, "order": payment.order, "error": error},
        status=200,
    )
