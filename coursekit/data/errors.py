"""The one exception the data layer raises; its message says what went wrong and what to do."""


class DataError(RuntimeError):
    """A data set could not be found, downloaded or read. The message names the file and the fix."""
