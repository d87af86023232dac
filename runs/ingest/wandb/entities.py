"""The user and entity nodes of the wandb GraphQL API (the viewer, a team or a personal entity)."""

from accounts.models import User
from teams.models import Membership

from ... import selectors
from . import public_api
from .wire import opaque_id


class UserNode(public_api.UserExtras):
    def __init__(self, user: User):
        self._user = user
        self.id = opaque_id("User", user.pk)
        self.name = user.get_full_name() or user.username
        self.username = user.username
        self.email = user.email or ""
        self.admin = user.is_staff
        self.flags = "{}"

    def entity(self, info):
        return selectors.default_entity(self._user)

    def teams(self, info):
        names = Membership.objects.filter(user=self._user).values_list("team__name", flat=True).order_by("team__name")
        return {"edges": [{"node": EntityNode(name=name)} for name in names]}


class EntityNode(public_api.EntityExtras):
    def __init__(self, name: str, pk: int = 0, is_team: bool = True):
        self.id = opaque_id("Entity", pk)
        self.name = name
        self.isTeam = is_team
        self.organization = None  # never a CoreWeave organization: the SDK would go looking for it
