/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.host;

import io.spindle.log.MappedAppendMode;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link StorageFailureEndToEndTest} with the broker storing appends into the mappings
 * ({@code spindle.storage.append=mapped}).
 */
@ExtendWith(MappedAppendMode.class)
class StorageFailureEndToEndMappedModeTest extends StorageFailureEndToEndTest
{
}
