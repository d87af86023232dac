"""The series store: history and system metrics as packed arrays and a pyramid of buckets.

Per (run, stream, key): the values and their steps in chunks covering fixed
step spans (SeriesChunk), and for each pyramid level buckets of growing width
(SeriesBlock: many buckets packed into one row) holding count, min, max, sum,
first and last value. Non-finite values stay in the chunks and are counted per
bucket, never folded into min, max or sum. Built by Celery from the lines
(runs.series.build) behind a watermark committed with the data (SeriesState).
"""

from django.db import models


class SeriesState(models.Model):
    """How far the store has read each stream of a run: the highest RunLine id folded in.

    Appends to a run hold its row lock, so a run's lines get ids in commit
    order and every line not yet folded has an id above the watermark. The
    line count guards against lines removed below it (then the stream is rebuilt).
    """

    run = models.OneToOneField("runs.Run", on_delete=models.CASCADE, related_name="series_state", primary_key=True)
    history_id = models.BigIntegerField(default=0)
    history_lines = models.BigIntegerField(default=0)
    events_id = models.BigIntegerField(default=0)
    events_lines = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.run_id}: history ≤ {self.history_id}, events ≤ {self.events_id}"


class SeriesKey(models.Model):
    """Totals of one series: how many points, non-finite values, and its first and last step."""

    run = models.ForeignKey("runs.Run", on_delete=models.CASCADE, related_name="+")
    stream = models.SmallIntegerField()
    key = models.CharField(max_length=512)
    points = models.BigIntegerField(default=0)  # finite values
    nan = models.BigIntegerField(default=0)
    inf = models.BigIntegerField(default=0)
    ninf = models.BigIntegerField(default=0)
    first_step = models.BigIntegerField(null=True)  # of a finite value
    last_step = models.BigIntegerField(null=True)
    first_any = models.BigIntegerField(null=True)  # of any value, NaN and ±Infinity included
    last_any = models.BigIntegerField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "stream", "key"], name="unique_series_key")]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.key} ({self.points} points)"


class SeriesChunk(models.Model):
    """The points of one series whose steps fall in [start, start + CHUNK_STEPS), in step order.

    offsets: uint32 step - start (only the first when the steps are consecutive); values: float64 (NaN and ±Infinity as logged).
    descents, first_value, last_value: over the finite values, how many times a value is below the one
    before, and the first and last (None when none is finite); a series used as an x axis is
    non-decreasing when no chunk descends and each chunk starts at or above where the one before
    ended. descents is None for chunks written before it was kept (then the series counts as unordered).
    """

    run = models.ForeignKey("runs.Run", on_delete=models.CASCADE, related_name="+")
    stream = models.SmallIntegerField()
    key = models.CharField(max_length=512)
    start = models.BigIntegerField()
    count = models.IntegerField()
    offsets = models.BinaryField()
    values = models.BinaryField()
    descents = models.IntegerField(null=True)
    first_value = models.FloatField(null=True)
    last_value = models.FloatField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "stream", "key", "start"], name="unique_series_chunk")]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.key} steps {self.start}+ ({self.count} points)"


class SeriesBlock(models.Model):
    """The non-empty buckets of one pyramid level over [start, start + width * BLOCK_BUCKETS).

    data: a packed numpy record array (runs.series.layout.BUCKET), in bucket order.
    """

    run = models.ForeignKey("runs.Run", on_delete=models.CASCADE, related_name="+")
    stream = models.SmallIntegerField()
    key = models.CharField(max_length=512)
    level = models.SmallIntegerField()
    start = models.BigIntegerField()
    data = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "stream", "key", "level", "start"], name="unique_series_block")
        ]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.key} level {self.level} from step {self.start}"
