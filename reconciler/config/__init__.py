"""config.yaml, typed. Every problem in the file is reported at once, with its key.

Relative paths resolve against the folder of the config file. Passwords are never in the file:
`mail.smtp.password_env` names the environment variable that holds one.
"""

from reconciler.config.load import CONFIG_ENV, check_config, config_path, load_config, read_raw
from reconciler.config.problems import is_secret_key, yaml_problem
from reconciler.config.sections import (
    FILE_SOURCES,
    AuditConfig,
    Config,
    FolderScope,
    InventoryConfig,
    LedgerConfig,
    LimitsConfig,
    MailConfig,
    RecipientsConfig,
    ReportConfig,
    RetryConfig,
    ScopeConfig,
    SmtpConfig,
    WatchConfig,
)

__all__ = [
    "CONFIG_ENV",
    "FILE_SOURCES",
    "AuditConfig",
    "Config",
    "FolderScope",
    "InventoryConfig",
    "LedgerConfig",
    "LimitsConfig",
    "MailConfig",
    "RecipientsConfig",
    "ReportConfig",
    "RetryConfig",
    "ScopeConfig",
    "SmtpConfig",
    "WatchConfig",
    "check_config",
    "config_path",
    "is_secret_key",
    "load_config",
    "read_raw",
    "yaml_problem",
]
