"""Artifacts: versioned sets of files logged by runs, stored once per team by content digest.

A collection (W&B's "sequence") holds versions v0…vN of one artifact name in a
project; each version lists its files in `ArtifactFile` rows built from the
manifest the SDK uploads. File bytes live in `ArtifactBlob`, keyed by
(team, md5 digest): a team uploads a given content once, and no other team can
name, read or reuse it.
"""

from django.db import models

from teams.models import Team

__all__ = [
    "Artifact",
    "ArtifactAlias",
    "ArtifactBlob",
    "ArtifactCollection",
    "ArtifactFile",
    "ArtifactFileClaim",
    "ArtifactLink",
    "ArtifactQuota",
    "ArtifactType",
    "ArtifactUpload",
    "ArtifactUse",
]


class ArtifactType(models.Model):
    project = models.ForeignKey("runs.Project", on_delete=models.CASCADE, related_name="artifact_types")
    name = models.CharField(max_length=128)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="unique_artifact_type")]

    def __str__(self) -> str:
        return f"{self.project}/{self.name}"


class ArtifactCollection(models.Model):
    """A sequence holds the versions one artifact name logged; a portfolio (a registered
    model, say) holds links to versions of any sequence of the team, numbered on its own."""

    class Kind(models.TextChoices):
        SEQUENCE = "SEQUENCE"
        PORTFOLIO = "PORTFOLIO"

    project = models.ForeignKey("runs.Project", on_delete=models.CASCADE, related_name="artifact_collections")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.SEQUENCE)
    type = models.ForeignKey(ArtifactType, on_delete=models.PROTECT, related_name="collections")
    name = models.CharField(max_length=128)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="unique_artifact_collection")]

    def __str__(self) -> str:
        return f"{self.project}/{self.name}"


class Artifact(models.Model):
    """One version. PENDING while its files upload; COMMITTED gives it its version number."""

    class State(models.TextChoices):
        PENDING = "PENDING"
        COMMITTED = "COMMITTED"
        DELETED = "DELETED"

    collection = models.ForeignKey(ArtifactCollection, on_delete=models.CASCADE, related_name="versions")
    version_index = models.IntegerField(null=True, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    digest = models.CharField(max_length=64)
    description = models.TextField(blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    client_id = models.CharField(max_length=128, blank=True)
    sequence_client_id = models.CharField(max_length=128, blank=True)
    created_by = models.ForeignKey(
        "runs.Run", null=True, blank=True, on_delete=models.SET_NULL, related_name="logged_artifacts"
    )
    history_step = models.BigIntegerField(null=True, blank=True)
    ttl_seconds = models.BigIntegerField(null=True, blank=True)
    pending_aliases = models.JSONField(default=list, blank=True)  # applied when it commits
    tags = models.JSONField(default=list, blank=True)  # `artifact.tags`: names, in the order first given
    manifest = models.JSONField(null=True, blank=True)  # the uploaded wandb_manifest.json
    # An incremental version (wandb.Artifact(..., incremental=True)) uploads only what it adds; at commit
    # its entries are laid over the base version's (the collection's latest when it was created).
    base = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    incremental = models.BooleanField(default=False)
    size = models.BigIntegerField(default=0)
    file_count = models.IntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    committed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["collection", "version_index", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["collection", "version_index"], name="unique_artifact_version"),
        ]
        indexes = [models.Index(fields=["client_id"], name="artifact_client_id")]

    def __str__(self) -> str:
        return f"{self.collection}:v{self.version_index}"


class ArtifactBlob(models.Model):
    """Bytes of one file content, stored once per team (never shared across teams)."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="artifact_blobs")
    digest = models.CharField(max_length=64)  # base64 md5, as in the manifest
    size = models.BigIntegerField()
    storage_name = models.CharField(max_length=1024)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "digest"], name="unique_blob_per_team")]

    def __str__(self) -> str:
        return f"{self.team_id}:{self.digest}"


class ArtifactFileClaim(models.Model):
    """A pending version asked for a content (CreateArtifactFiles): the blob is referenced until it commits.

    Garbage collection never deletes a claimed blob, so a commit in flight finds every file it uploaded
    or was told the team already held.
    """

    artifact = models.ForeignKey(Artifact, on_delete=models.CASCADE, related_name="claims")
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["artifact", "digest"], name="unique_artifact_claim")]
        indexes = [models.Index(fields=["digest"], name="artifact_claim_digest")]

    def __str__(self) -> str:
        return f"{self.artifact_id} claims {self.digest}"


class ArtifactUpload(models.Model):
    """A multipart upload in progress: the parts the SDK announced, stored one object each until completed."""

    upload_id = models.CharField(max_length=64, unique=True)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="artifact_uploads")
    artifact = models.ForeignKey(Artifact, null=True, blank=True, on_delete=models.SET_NULL, related_name="uploads")
    digest = models.CharField(max_length=64)  # base64 md5 of the whole file
    parts = models.JSONField(default=list)  # [hex md5 of part 1, of part 2, …]
    completed = models.BooleanField(default=False)
    assembling_at = models.DateTimeField(null=True, blank=True)  # heartbeat of the request joining the parts
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"upload {self.upload_id} of {self.digest}"


class ArtifactQuota(models.Model):
    """A team's own artifact storage limit, overriding SEXTANT_ARTIFACT_QUOTA_BYTES (null: no limit)."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="artifact_quota")
    max_bytes = models.BigIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.team_id}: {self.max_bytes}"


class ArtifactFile(models.Model):
    """A manifest entry of a committed version: a stored blob, or a reference the server never fetches."""

    artifact = models.ForeignKey(Artifact, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(max_length=1024)
    digest = models.CharField(max_length=128)
    size = models.BigIntegerField(null=True, blank=True)
    blob = models.ForeignKey(ArtifactBlob, null=True, blank=True, on_delete=models.PROTECT, related_name="files")
    ref = models.TextField(blank=True)  # s3://, gs://, file://, http(s)://: kept as written

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["artifact", "name"], name="unique_artifact_file")]

    def __str__(self) -> str:
        return f"{self.artifact}/{self.name}"


class ArtifactAlias(models.Model):
    """A movable name for one version of a collection: `latest`, `best`, …"""

    collection = models.ForeignKey(ArtifactCollection, on_delete=models.CASCADE, related_name="aliases")
    artifact = models.ForeignKey(Artifact, on_delete=models.CASCADE, related_name="aliases")
    alias = models.CharField(max_length=128)

    class Meta:
        ordering = ["alias"]
        constraints = [models.UniqueConstraint(fields=["collection", "alias"], name="unique_artifact_alias")]

    def __str__(self) -> str:
        return f"{self.collection}:{self.alias}"


class ArtifactLink(models.Model):
    """A version linked into a portfolio, with the portfolio's own version number."""

    portfolio = models.ForeignKey(ArtifactCollection, on_delete=models.CASCADE, related_name="links")
    artifact = models.ForeignKey(Artifact, on_delete=models.CASCADE, related_name="links")
    version_index = models.IntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["portfolio", "version_index"]
        constraints = [
            models.UniqueConstraint(fields=["portfolio", "artifact"], name="unique_artifact_link"),
            models.UniqueConstraint(fields=["portfolio", "version_index"], name="unique_artifact_link_version"),
        ]

    def __str__(self) -> str:
        return f"{self.portfolio}:v{self.version_index} -> {self.artifact}"


class ArtifactUse(models.Model):
    """A run used a version as an input (`run.use_artifact`)."""

    run = models.ForeignKey("runs.Run", on_delete=models.CASCADE, related_name="artifact_uses")
    artifact = models.ForeignKey(Artifact, on_delete=models.CASCADE, related_name="uses")
    used_as = models.CharField(max_length=128, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["run", "artifact"], name="unique_artifact_use")]

    def __str__(self) -> str:
        return f"{self.run} used {self.artifact}"
