"""The optional protocol features this server advertises in `serverInfo.features`.

The SDK switches code paths on these names (wandb/proto ServerFeature, plus
names newer SDKs probe by string), so list only what Sextant really does.
One flat list: a feature's module adds its names here with one line.
"""

SERVER_FEATURES: list[str] = [
    "UPDATE_RUN_STATE",  # updateRunState: run.update_state("pending" | "failed")
    # wandb.init(resume_from=...) and (fork_from=...); no SDK release switches on these names yet.
    "RUN_REWIND",
    "RUN_FORK",
    # runs/artifacts
    "ARTIFACT_V2_DOWNLOAD_HANDLER_SUPPORTS_ARTIFACT_ID",  # /artifactsV2/…/<artifact id>/<birth id>/<md5>/<name>
    "ARTIFACT_DIGEST_ALGORITHM",  # Artifact.digestAlgorithm
    "USE_ARTIFACT_WITH_ENTITY_AND_PROJECT_INFORMATION",  # UseArtifactInput.artifactEntityName/ProjectName
    "TOTAL_COUNT_IN_FILE_CONNECTION",  # an artifact's files connection counts them
    # runs/alerts: run.upload_file() then confirms with markRunFilesUploaded (answered from the stored bytes)
    "MARK_RUN_FILES_UPLOADED",
]
