"""Resolvers of the file-upload mutations of artifacts: upload URLs (single PUT or multipart) and completion.

CreateArtifactFiles first claims every asked-for content for the pending
version (so garbage collection keeps it), then answers, under a row lock on the
team's matching blobs, which files need uploading at all.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from graphql import GraphQLError

from ..ingest.wandb import wire
from . import multipart, services
from .models import Artifact, ArtifactUpload
from .nodes import ArtifactNode, artifact_or_error, validation_error
from .signed import blob_upload_url, part_upload_url


class ArtifactFileMutations:
    def createArtifactFiles(self, info, input):
        caller = self._caller
        artifacts: dict[str, Artifact] = {}
        specs = input["artifactFiles"]
        for spec in specs:
            if spec["artifactID"] not in artifacts:
                artifacts[spec["artifactID"]] = artifact_or_error(caller, spec["artifactID"])
        for artifact in artifacts.values():
            services.claim(
                artifact=artifact, digests=[s["md5"] for s in specs if artifacts[s["artifactID"]] is artifact]
            )
        edges = []
        try:
            with transaction.atomic():
                held = {}
                for team_id in {a.collection.project.team_id for a in artifacts.values()}:
                    digests = [
                        s["md5"] for s in specs if artifacts[s["artifactID"]].collection.project.team_id == team_id
                    ]
                    held[team_id] = services.held_digests(team_id=team_id, digests=digests)
                for spec in specs:
                    edges.append({"node": self._file_upload(artifacts[spec["artifactID"]], spec, held)})
        except ValidationError as exc:
            raise validation_error(exc) from None
        return {"files": {"edges": edges}}

    def _file_upload(self, artifact: Artifact, spec, held) -> dict:
        caller = self._caller
        team_id = artifact.collection.project.team_id
        node = {
            "id": wire.opaque_id("ArtifactFileUpload", artifact.pk),
            "name": spec["name"],
            "storagePath": None,
            "uploadUrl": None,
            "uploadHeaders": [],
            "uploadMultipartUrls": None,
            "artifact": ArtifactNode(artifact, caller),
        }
        if spec["md5"] in held[team_id]:
            return node  # the team already holds these bytes (dedup never looks beyond the team)
        node["uploadUrl"] = blob_upload_url(caller.request, team_id, spec["md5"])
        if spec.get("uploadPartsInput"):
            upload = multipart.upload_start(
                artifact=artifact, team_id=team_id, digest=spec["md5"], parts=spec["uploadPartsInput"]
            )
            node["storagePath"] = upload.upload_id
            node["uploadMultipartUrls"] = {
                "uploadID": upload.upload_id,
                "uploadUrlParts": [
                    {"partNumber": n, "uploadUrl": part_upload_url(caller.request, upload.upload_id, n)}
                    for n in range(1, len(upload.parts) + 1)
                ],
            }
        return node

    def completeMultipartUploadArtifact(self, info, input):
        artifact = artifact_or_error(self._caller, input["artifactID"])
        upload = ArtifactUpload.objects.filter(
            upload_id=input["uploadID"], team_id=artifact.collection.project.team_id
        ).first()
        if upload is None:
            raise GraphQLError("Multipart upload not found (it may have expired): upload the file again.")
        try:
            if input["completeMultipartAction"] == "Abort":
                multipart.upload_abort(upload=upload)
                return {"digest": upload.digest}
            multipart.upload_complete(upload=upload, completed=input["completedParts"])
        except ValidationError as exc:
            raise validation_error(exc) from None
        return {"digest": upload.digest}
