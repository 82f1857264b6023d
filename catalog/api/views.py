from __future__ import annotations

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog import selectors, services
from catalog.api import serializers
from catalog.filters import ProductFilter
from catalog.models import AttributeValue, Product, ProductVariant, VariantChannelPrice
from omni.api.permissions import require_perms
from omni.errors import ValidationError
from sales_channels.api.channel import CHANNEL_PARAMETER, request_channel
from sales_channels.selectors import channel_get_active

# --- shopper --------------------------------------------------------------------------------


@extend_schema(tags=["catalog"], parameters=[CHANNEL_PARAMETER])
class ProductListApi(ListAPIView):
    """Products published on a channel, with the channel's prices; filter, sort and page."""

    permission_classes = [AllowAny]
    serializer_class = serializers.ProductListOutput
    filterset_class = ProductFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Product.objects.none()
        return selectors.product_list(channel=request_channel(self.request))


class ProductDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["catalog"], parameters=[CHANNEL_PARAMETER], responses=serializers.ProductDetailOutput
    )
    def get(self, request, slug: str):
        product = selectors.product_detail(channel=request_channel(request), slug=slug)
        return Response(serializers.ProductDetailOutput(product, context={"request": request}).data)


class SuggestionsApi(APIView):
    """What to suggest as the shopper types (catalog.search): the channel's most relevant
    products, at most six, none before two letters."""

    permission_classes = [AllowAny]

    @extend_schema(
        tags=["catalog"],
        parameters=[CHANNEL_PARAMETER, serializers.SuggestionsInput],
        responses=serializers.SuggestionOutput(many=True),
    )
    def get(self, request):
        data = serializers.SuggestionsInput(data=request.query_params)
        data.is_valid(raise_exception=True)
        products = selectors.product_suggestions(
            channel=request_channel(request), query=data.validated_data["q"]
        )
        return Response(serializers.SuggestionOutput(products, many=True).data)


class CategoryTreeApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(tags=["catalog"], responses=serializers.CategoryTreeOutput(many=True))
    def get(self, request):
        return Response(selectors.category_tree())


# --- merchant -------------------------------------------------------------------------------


def _merchant_products():
    return Product.objects.select_related("brand", "category", "tax_class").prefetch_related(
        Prefetch(
            "variants",
            queryset=ProductVariant.objects.prefetch_related(
                Prefetch(
                    "attribute_values", queryset=AttributeValue.objects.select_related("attribute")
                ),
                Prefetch(
                    "channel_prices", queryset=VariantChannelPrice.objects.select_related("channel")
                ),
            ),
        ),
        "channel_listings__channel",
    )


def _variant_kwargs(data: dict) -> dict:
    data = dict(data)
    if "attributes" in data:
        data["attributes"] = data["attributes"] or None
    return data


@extend_schema(tags=["merchant"])
class MerchantProductListApi(ListAPIView):
    """Every product, published or not (merchant view). POST creates one, with variants and
    prices if given, all or nothing."""

    permission_classes = [require_perms("catalog.view_product")]
    serializer_class = serializers.MerchantProductOutput

    def get_queryset(self):
        return _merchant_products().order_by("-created_at", "-id")

    def get_permissions(self):
        if self.request.method == "POST":
            return [require_perms("catalog.add_product", "catalog.add_productvariant")()]
        return super().get_permissions()

    @extend_schema(
        request=serializers.ProductCreateInput, responses={201: serializers.MerchantProductOutput}
    )
    def post(self, request):
        data = serializers.ProductCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values["variants"] = [_variant_kwargs(v) for v in values.get("variants", ())]
        product = services.product_create(**values, actor=request.user)
        product = _merchant_products().get(pk=product.pk)
        return Response(
            serializers.MerchantProductOutput(product).data, status=status.HTTP_201_CREATED
        )


class MerchantProductDetailApi(APIView):
    def get_permissions(self):
        perm = "catalog.view_product" if self.request.method == "GET" else "catalog.change_product"
        return [require_perms(perm)()]

    @extend_schema(tags=["merchant"], responses=serializers.MerchantProductOutput)
    def get(self, request, pk: int):
        return Response(
            serializers.MerchantProductOutput(get_object_or_404(_merchant_products(), pk=pk)).data
        )

    @extend_schema(
        tags=["merchant"],
        request=serializers.ProductWriteInput,
        responses=serializers.MerchantProductOutput,
    )
    def patch(self, request, pk: int):
        product = get_object_or_404(Product, pk=pk)
        data = serializers.ProductWriteInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.product_update(product=product, data=data.validated_data, actor=request.user)
        return Response(serializers.MerchantProductOutput(_merchant_products().get(pk=pk)).data)


class MerchantVariantCreateApi(APIView):
    permission_classes = [require_perms("catalog.add_productvariant")]

    @extend_schema(
        tags=["merchant"],
        request=serializers.VariantCreateInput,
        responses={201: serializers.MerchantVariantOutput},
    )
    def post(self, request, pk: int):
        product = get_object_or_404(Product, pk=pk)
        data = serializers.VariantCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        variant = services.variant_create(
            product=product, actor=request.user, **_variant_kwargs(data.validated_data)
        )
        variant = _reload_variant(variant.pk)
        return Response(
            serializers.MerchantVariantOutput(variant).data, status=status.HTTP_201_CREATED
        )


class MerchantVariantDetailApi(APIView):
    permission_classes = [require_perms("catalog.change_productvariant")]

    @extend_schema(
        tags=["merchant"],
        request=serializers.VariantUpdateInput,
        responses=serializers.MerchantVariantOutput,
    )
    def patch(self, request, sku: str):
        variant = get_object_or_404(ProductVariant.objects.select_related("product"), sku=sku)
        data = serializers.VariantUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        attributes = values.pop("attributes", None)
        attribute_values = (
            services.attribute_values_resolve(attributes) if attributes is not None else None
        )
        variant = services.variant_update(
            variant=variant, data=values, attribute_values=attribute_values
        )
        return Response(serializers.MerchantVariantOutput(_reload_variant(variant.pk)).data)


def _reload_variant(pk: int) -> ProductVariant:
    return ProductVariant.objects.prefetch_related(
        Prefetch("attribute_values", queryset=AttributeValue.objects.select_related("attribute")),
        Prefetch("channel_prices", queryset=VariantChannelPrice.objects.select_related("channel")),
    ).get(pk=pk)


class MerchantVariantPriceApi(APIView):
    """Set (PUT) or remove (DELETE) a variant's price on one channel."""

    permission_classes = [require_perms("catalog.change_variantchannelprice")]

    @extend_schema(
        tags=["merchant"], request=serializers.PriceInput, responses=serializers.ChannelPriceOutput
    )
    def put(self, request, sku: str, channel: str):
        variant = get_object_or_404(ProductVariant, sku=sku)
        target = channel_get_active(channel)
        data = serializers.PriceInput(data=request.data)
        data.is_valid(raise_exception=True)
        row = services.variant_price_set(
            variant=variant, channel=target, actor=request.user, **data.validated_data
        )
        return Response(serializers.ChannelPriceOutput(row).data)

    @extend_schema(tags=["merchant"], responses={204: None})
    def delete(self, request, sku: str, channel: str):
        variant = get_object_or_404(ProductVariant, sku=sku)
        services.variant_price_remove(
            variant=variant, channel=channel_get_active(channel), actor=request.user
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class MerchantListingApi(APIView):
    """Publish or unpublish a product on one channel (from a given moment, or at once)."""

    permission_classes = [require_perms("catalog.change_productchannellisting")]

    @extend_schema(
        tags=["merchant"], request=serializers.ListingInput, responses=serializers.ListingOutput
    )
    def put(self, request, pk: int, channel: str):
        product = get_object_or_404(Product, pk=pk)
        data = serializers.ListingInput(data=request.data)
        data.is_valid(raise_exception=True)
        listing = services.product_listing_set(
            product=product,
            channel=channel_get_active(channel),
            is_published=data.validated_data["is_published"],
            published_at=data.validated_data.get("published_at"),
        )
        return Response(serializers.ListingOutput(listing).data)


class MerchantPriceBulkAdjustApi(APIView):
    """Change many prices on one channel at once (the admin's bulk action uses the same service)."""

    permission_classes = [require_perms("catalog.change_variantchannelprice")]

    @extend_schema(
        tags=["merchant"],
        request=serializers.BulkAdjustInput,
        responses=serializers.BulkAdjustOutput,
    )
    def post(self, request):
        data = serializers.BulkAdjustInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        channel = channel_get_active(values["channel"])
        skus = set(values["skus"])
        found = dict(ProductVariant.objects.filter(sku__in=skus).values_list("sku", "id"))
        missing = sorted(skus - set(found))
        if missing:
            raise ValidationError.for_field(
                "skus", "Unknown SKU: " + ", ".join(missing[:20]), code="unknown_sku"
            )
        changed = services.prices_bulk_adjust(
            channel=channel,
            variant_ids=found.values(),
            mode=values["mode"],
            value=values["value"],
            actor=request.user,
        )
        return Response({"changed": changed})
