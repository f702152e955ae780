"""Operations: health and readiness, metrics, structured logs, backups and retention."""
