"""Locks, semaphores, conditions, events and queues (threading, queue and asyncio) while tracing:
``hooks`` installs them, ``adoption`` wraps the threading locks made before the trace."""
