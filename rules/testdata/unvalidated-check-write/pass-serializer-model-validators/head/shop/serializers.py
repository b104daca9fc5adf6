from rest_framework import serializers

from shop.models import Product


class ProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ["id", "name", "price"]

    def create(self, validated_data):
        # Names are stored trimmed; the price as given.
        return Product.objects.create(name=validated_data["name"].strip(), price=validated_data["price"])
