"""lms/redis_cache.py: one Redis client per connection pool (Django builds one per operation)."""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache

from lms.redis_cache import RedisCache


def test_every_operation_of_a_cache_uses_the_same_client():
    cache = RedisCache("redis://127.0.0.1:1/0", {})  # building a client connects nowhere
    first = cache._cache.get_client("a")
    assert cache._cache.get_client("b") is first
    assert cache._cache.get_client("a", write=True) is first  # one server: one pool
    assert first.connection_pool is cache._cache._get_connection_pool(False)


def test_djangos_own_builds_one_per_operation():
    # What this module is for: if Django starts reusing its client, drop lms/redis_cache.py.
    cache = DjangoRedisCache("redis://127.0.0.1:1/0", {})
    assert cache._cache.get_client("a") is not cache._cache.get_client("a")
