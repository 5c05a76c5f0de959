package io.spindle.client;

import java.util.List;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClientContextTest
{
    @Test
    void everyBootstrapAddressBecomesARequestChannelInOrder()
    {
        final ClientContext ctx = new ClientContext().bootstrap("10.0.0.1:7400, broker-b:7401 ,127.0.0.1:7402");
        assertEquals(List.of(
            "aeron:udp?endpoint=10.0.0.1:7400",
            "aeron:udp?endpoint=broker-b:7401",
            "aeron:udp?endpoint=127.0.0.1:7402"), ctx.requestChannels());
        assertEquals("0.0.0.0", ctx.localResponseHost(ctx.requestChannels().get(0)));
        assertEquals("127.0.0.1", ctx.localResponseHost(ctx.requestChannels().get(2)));
    }

    @Test
    void aBadAddressAnywhereInTheListIsNamed()
    {
        final IllegalArgumentException noPort = assertThrows(IllegalArgumentException.class,
            () -> new ClientContext().bootstrap("127.0.0.1:7400,other-host").requestChannels());
        assertTrue(noPort.getMessage().contains("127.0.0.1:7400,other-host"), noPort.getMessage());

        final IllegalArgumentException outOfRange = assertThrows(IllegalArgumentException.class,
            () -> new ClientContext().bootstrap("127.0.0.1:7400,127.0.0.1:99999").requestChannels());
        assertTrue(outOfRange.getMessage().contains("'127.0.0.1:99999'"), outOfRange.getMessage());
    }

    @Test
    void reconnectTimeoutDefaultsToTheRequestTimeout()
    {
        final ClientContext ctx = new ClientContext().requestTimeoutMs(12_345);
        assertEquals(12_345, ctx.reconnectTimeoutMs());
        assertEquals(2_000, ctx.reconnectTimeoutMs(2_000).reconnectTimeoutMs());
    }
}
