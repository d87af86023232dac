from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView


class MeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.EmailField(allow_null=True)
    kind = serializers.CharField()
    is_instance_admin = serializers.BooleanField(source="is_superuser")


class MeView(APIView):
    """The authenticated caller."""

    serializer_class = MeOutput

    def get(self, request):
        return Response(MeOutput(request.user).data)
