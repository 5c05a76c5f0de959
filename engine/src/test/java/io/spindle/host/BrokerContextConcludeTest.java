/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.host;

import java.nio.file.Path;
import java.util.function.Consumer;

import io.spindle.config.SystemPropertyOverrides;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Every broker setting is checked before anything starts: a bad {@code -D} value is refused when the context reads
 * it, a bad value set on the context by {@code conclude()}, each with {@code invalid NAME=VALUE: reason} naming the
 * property. Nothing here starts a driver.
 */
class BrokerContextConcludeTest
{
    private final SystemPropertyOverrides overrides = new SystemPropertyOverrides();

    @AfterEach
    void restore()
    {
        overrides.restore();
    }

    @Test
    void theDefaultsConclude()
    {
        new StandaloneBroker.Context().dataDir(Path.of("unused")).conclude();
    }

    @Test
    void aBadSystemPropertyIsRefusedNamingItAndTheAcceptedValues()
    {
        assertRefusedProperty("spindle.broker.threading.mode", "FOO",
            "invalid spindle.broker.threading.mode=FOO: expected one of SHARED or DEDICATED");
        assertRefusedProperty("spindle.driver.threading.mode", "fast",
            "invalid spindle.driver.threading.mode=fast: expected one of INVOKER, SHARED, SHARED_NETWORK or " +
            "DEDICATED");
        assertRefusedProperty("spindle.udp.enabled", "yes", "invalid spindle.udp.enabled=yes: expected true or false");
        assertRefusedProperty("spindle.listen.port", "http",
            "invalid spindle.listen.port=http: expected a whole number");
        assertRefusedProperty("spindle.ipc.term.length", "16q",
            "invalid spindle.ipc.term.length=16q: expected a size such as 512, 16k, 4m or 1g");
        assertRefusedProperty("spindle.session.timeout", "soon",
            "invalid spindle.session.timeout=soon: unknown duration unit 'soon', use ns, us, ms, s, m, h or d");
    }

    @Test
    void aBooleanThatIsSetIsTaken()
    {
        set("spindle.udp.enabled", "FALSE");
        set("spindle.broker.threading.mode", "dedicated");
        final StandaloneBroker.Context ctx = new StandaloneBroker.Context();
        assertFalse(BrokerConfiguration.UDP_ENABLED.bool());
        assertEquals(StandaloneBroker.BrokerThreadingMode.DEDICATED,
            BrokerConfiguration.THREADING_MODE.choice(StandaloneBroker.BrokerThreadingMode.class));
        ctx.dataDir(Path.of("unused")).conclude();
    }

    @Test
    void concludeRefusesEveryBadValueNamingItsProperty()
    {
        assertRefused((ctx) -> ctx.listen("127.0.0.1", 70_000),
            "invalid spindle.listen.port=70000: must be 0 (a free port) to 65535");
        assertRefused((ctx) -> ctx.listen(" ", 0), "invalid spindle.listen.host= : an address or host name");
        assertRefused((ctx) -> ctx.brokerIdleStrategy("sleepy"), "invalid spindle.broker.idle.strategy=sleepy: ");
        assertRefused((ctx) -> ctx.driverIdleStrategy("backoff:x"), "invalid spindle.driver.idle.strategy=backoff:x: ");
        assertRefused((ctx) -> ctx.ipcTermLength(1000),
            "invalid spindle.ipc.term.length=1000: a term length must be a power of two from 64k to 1g");
        assertRefused((ctx) -> ctx.ipcMtuLength(1000),
            "invalid spindle.ipc.mtu.length=1000: an MTU must be a multiple of 32 from 64 to 65504");
        assertRefused((ctx) -> ctx.ipcMtuLength(64 * 1024),
            "invalid spindle.ipc.mtu.length=65536: an MTU must be a multiple of 32 from 64 to 65504");
        assertRefused((ctx) -> ctx.sessionTimeoutNs(0), "invalid spindle.session.timeout=0ns: must be at least 1ms");
        assertRefused((ctx) -> ctx.dataDir(null), "invalid spindle.data.dir=null: a data directory must be given");
        assertRefused((ctx) -> ctx.driverThreadingMode(io.aeron.driver.ThreadingMode.INVOKER)
            .threadingMode(StandaloneBroker.BrokerThreadingMode.DEDICATED),
            "spindle.driver.threading.mode=INVOKER runs the driver on the broker's one thread");
    }

    @Test
    void storagePropertiesAreCheckedAtConcludeNotWhenALogFirstNeedsThem()
    {
        set("spindle.storage.reserve.bytes", "2g");
        assertRefused((ctx) -> {}, "invalid spindle.storage.reserve.bytes=2147483648: must be 1 to 1g");
        restore();
        set("spindle.log.cleaner.backoff.ms", "0");
        assertRefused((ctx) -> {}, "invalid spindle.log.cleaner.backoff.ms=0: must be at least 1ms");
        restore();
        set("spindle.fetch.max.push.bytes", "lots");
        assertRefused((ctx) -> {}, "invalid spindle.fetch.max.push.bytes=lots: expected a size");
    }

    private void assertRefused(final Consumer<StandaloneBroker.Context> change, final String message)
    {
        final StandaloneBroker.Context ctx = new StandaloneBroker.Context().dataDir(Path.of("unused"));
        change.accept(ctx);
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, ctx::conclude);
        assertEquals(message, ex.getMessage().substring(0, Math.min(message.length(), ex.getMessage().length())),
            ex.getMessage());
    }

    private void assertRefusedProperty(final String property, final String value, final String message)
    {
        set(property, value);
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, StandaloneBroker.Context::new);
        assertEquals(message, ex.getMessage());
        restore();
    }

    private void set(final String property, final String value)
    {
        overrides.set(property, value);
    }
}
