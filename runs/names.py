"""Human-readable run names: adjective-noun-number, like "brisk-harbor-12"."""

import secrets

ADJECTIVES = (
    "amber bold brisk calm clever cosmic crimson daring dashing eager electric fancy fearless "
    "gentle glad golden graceful hardy hidden honest icy jolly keen lively lucky misty noble "
    "olive patient proud quiet rapid royal rustic sandy scarlet serene sharp shiny silent "
    "smooth snowy solar spry stellar stoic sunny swift tidy vivid warm wild wise witty young"
).split()
NOUNS = (
    "aurora badger bay breeze brook canyon cedar cloud comet cosmos dawn delta dune eagle "
    "ember falcon fern field flower forest galaxy glade grove harbor hill lake lantern leaf "
    "meadow moon mountain nebula oak ocean orbit otter pine planet pond rain river sea shadow "
    "sky snow star stream sun thunder tree valley violet water wave wind wood"
).split()


def random_name() -> str:
    return f"{secrets.choice(ADJECTIVES)}-{secrets.choice(NOUNS)}-{secrets.randbelow(99) + 1}"
