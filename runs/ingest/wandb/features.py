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
]
