"""Shapes of the artifacts REST API: what it answers (…Out) and what it reads (…In)."""

from rest_framework import serializers


class RunRefOut(serializers.Serializer):
    run_id = serializers.CharField()
    name = serializers.CharField(help_text="The run's display name.")
    project = serializers.CharField()
    state = serializers.CharField()
    url = serializers.CharField(help_text="The run's page in the console.")


class TypeOut(serializers.Serializer):
    name = serializers.CharField()
    description = serializers.CharField()
    collection_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class CollectionOut(serializers.Serializer):
    name = serializers.CharField()
    type = serializers.CharField()
    description = serializers.CharField()
    version_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    url = serializers.CharField(help_text="The collection's page in the console.")


class VersionOut(serializers.Serializer):
    id = serializers.IntegerField(help_text="The version's id: GET …/artifact-versions/<id>/ reads it.")
    collection = serializers.CharField()
    type = serializers.CharField()
    version = serializers.CharField(help_text="v0, v1, … in this collection.")
    aliases = serializers.ListField(child=serializers.CharField())
    tags = serializers.ListField(child=serializers.CharField(), help_text="`artifact.tags`, in the order given.")
    digest = serializers.CharField()
    size = serializers.IntegerField(help_text="Bytes of all its files, references included where sized.")
    file_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    created_by = RunRefOut(allow_null=True, help_text="The run that logged it.")
    url = serializers.CharField(help_text="The version's page in the console.")


class LinkRefOut(serializers.Serializer):
    registered_model = serializers.CharField(help_text="<project>/<registered model>")
    version = serializers.CharField()
    aliases = serializers.ListField(child=serializers.CharField())


class VersionDetailOut(VersionOut):
    description = serializers.CharField()
    metadata = serializers.DictField()
    used_by = RunRefOut(many=True, help_text="Runs that used it (use_artifact), at most 100.")
    used_by_count = serializers.IntegerField()
    linked_to = LinkRefOut(many=True, help_text="Registered models this version is linked into.")


class FileOut(serializers.Serializer):
    name = serializers.CharField()
    digest = serializers.CharField()
    size = serializers.IntegerField(allow_null=True)
    ref = serializers.CharField(allow_null=True, help_text="A reference entry (s3://, https://…): never fetched.")
    download = serializers.CharField(
        allow_null=True, help_text="GET it for a redirect to a signed, expiring URL of the bytes (null for references)."
    )


def page_of(item):
    class Page(serializers.Serializer):
        count = serializers.IntegerField()
        next = serializers.CharField(allow_null=True)
        previous = serializers.CharField(allow_null=True)
        results = item(many=True)

    Page.__name__ = f"{item.__name__.removesuffix('Out')}Page"
    return Page


TypePage = page_of(TypeOut)
CollectionPage = page_of(CollectionOut)
VersionPage = page_of(VersionOut)
FilePage = page_of(FileOut)


class DiffEntryOut(serializers.Serializer):
    name = serializers.CharField()
    digest = serializers.CharField()
    size = serializers.IntegerField(allow_null=True)
    ref = serializers.CharField(allow_null=True)


class DiffChangeOut(serializers.Serializer):
    name = serializers.CharField()
    old = DiffEntryOut()
    new = DiffEntryOut()


class DiffOut(serializers.Serializer):
    collection = serializers.CharField()
    base = serializers.CharField(help_text="The version compared from.")
    other = serializers.CharField(help_text="The version compared to.")
    added = DiffEntryOut(many=True)
    removed = DiffEntryOut(many=True)
    changed = DiffChangeOut(many=True)
    unchanged = serializers.IntegerField()


class AliasIn(serializers.Serializer):
    alias = serializers.CharField(max_length=128, help_text="Moves to this version (from any other).")


class AliasesOut(serializers.Serializer):
    aliases = serializers.ListField(child=serializers.CharField())


class RegisteredModelOut(serializers.Serializer):
    project = serializers.CharField()
    name = serializers.CharField()
    type = serializers.CharField()
    description = serializers.CharField()
    version_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    url = serializers.CharField(help_text="Its page in the console.")


RegisteredModelPage = page_of(RegisteredModelOut)


class LinkOut(serializers.Serializer):
    version = serializers.CharField(help_text="v0, v1, … in the registered model.")
    aliases = serializers.ListField(child=serializers.CharField())
    source = serializers.CharField(help_text="The linked version: <project>/<artifact>:v<n>.")
    source_id = serializers.IntegerField()
    digest = serializers.CharField()
    created_by = RunRefOut(allow_null=True)
    linked_at = serializers.DateTimeField()


LinkPage = page_of(LinkOut)


class LinkIn(serializers.Serializer):
    artifact = serializers.CharField(
        max_length=400, help_text="The version to link, in this team: <project>/<artifact>:<v3|alias|digest>."
    )
    aliases = serializers.ListField(
        child=serializers.CharField(max_length=128),
        required=False,
        default=list,
        max_length=50,
        help_text="Aliases in the registered model (production, staging…); they move to this version.",
    )
