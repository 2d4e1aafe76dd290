"""Settings: one typed, frozen object, built from CLI flags and their CHINWAG_* twins."""

from dataclasses import dataclass
from datetime import timedelta

from chinwag.delivery.host_gate import DEFAULT_HOST_CONCURRENCY
from chinwag.delivery.in_flight import DEFAULT_SHUTDOWN_GRACE
from chinwag.delivery.leases import DEFAULT_LEASE
from chinwag.delivery.retention import DEFAULT_RETENTION_DAYS
from chinwag.delivery.retry import DEFAULT_SCHEDULE, RetryPolicy
from chinwag.logs import LogFormat, LogLevel
from chinwag.store.database import DEFAULT_POOL_SIZE

DEFAULT_DATABASE = "sqlite:///chinwag.db"
# Failed authentications per client per minute (domain/auth_failures.py): a flood is
# stopped, a person who mistyped is not, nor are the test suite's own bad credentials.
DEFAULT_AUTH_FAILURE_LIMIT = 20


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    database_url: str = DEFAULT_DATABASE
    public_url: str | None = None  # base of resource `url` fields; None: from each request
    # Where `studio` webhooks are delivered, with {flow_sid}; None: recorded undeliverable.
    studio_url: str | None = None
    # Seconds to wait before each retry; empty: one attempt only.
    retry_schedule: tuple[float, ...] = DEFAULT_SCHEDULE
    # Reproduce Twilio exactly: one attempt, no retries.
    twilio_strict: bool = False
    # False: `serve` leaves delivery to separate `chinwag worker` processes.
    run_worker: bool = True
    # PostgreSQL connections each process keeps (it may open as many again in bursts).
    database_pool_size: int = DEFAULT_POOL_SIZE
    # How long a dead worker's claimed deliveries wait for another worker (live ones renew).
    delivery_lease: timedelta = DEFAULT_LEASE
    # Seconds requests in flight may take on SIGTERM before they are abandoned and released.
    shutdown_grace: float = DEFAULT_SHUTDOWN_GRACE
    # Refuse webhook URLs on loopback, private, link-local or metadata addresses (SSRF).
    deny_private_targets: bool = False
    # Requests in flight at once to one target host:port (beside the global limit).
    host_concurrency: int = DEFAULT_HOST_CONCURRENCY
    # Days finished deliveries (and their attempts) are kept; 0 or less: for ever.
    retention_days: float = DEFAULT_RETENTION_DAYS
    # Seconds after `sent` that the simulated carrier reports `delivered`; 0: at once.
    receipt_delay: float = 1.0
    # Failed Basic auths and dashboard sign-ins one client IP may make per minute; then 429.
    auth_failure_limit: int = DEFAULT_AUTH_FAILURE_LIMIT
    log_format: LogFormat = LogFormat.TEXT  # json: one object per line
    log_level: LogLevel = LogLevel.INFO

    def retention(self) -> timedelta | None:
        return timedelta(days=self.retention_days) if self.retention_days > 0 else None

    def retry_policy(self) -> RetryPolicy:
        if self.twilio_strict:
            return RetryPolicy.twilio_strict()
        return RetryPolicy(schedule=self.retry_schedule)
