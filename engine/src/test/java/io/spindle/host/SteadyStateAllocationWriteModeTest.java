/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.host;

import io.spindle.log.WriteAppendMode;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link SteadyStateAllocationTest} with the broker appending by positional writes
 * ({@code spindle.storage.append=write}).
 */
@ExtendWith(WriteAppendMode.class)
class SteadyStateAllocationWriteModeTest extends SteadyStateAllocationTest
{
}
