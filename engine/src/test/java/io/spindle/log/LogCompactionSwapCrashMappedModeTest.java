/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.log;

import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every case of {@link LogCompactionSwapCrashTest} with appends stored into the mappings ({@code spindle.storage.append=mapped}).
 */
@ExtendWith(MappedAppendMode.class)
class LogCompactionSwapCrashMappedModeTest extends LogCompactionSwapCrashTest
{
}
