package io.spindle.broker;

import io.spindle.codecs.protocol.ErrorCode;

/**
 * The states of a consumer group, Kafka's classic group protocol:
 * <pre>
 *            +------------------------------------------------+
 *            v                                                |
 *   Empty --join--> PreparingRebalance --all joined / rebalance timeout--> CompletingRebalance
 *     ^                ^       |                                             |        |
 *     |                |       +--no member left--> Empty                    |   leader's sync
 *     |                |                                                     |        v
 *     |                +--join / leave / expiry / sync timeout---------------+---- Stable
 *     +-- (deleted) --> Dead
 * </pre>
 * Each state answers the requests whose outcome depends only on the state, one method per request,
 * so the coordinator's handlers read as "check the member, then ask the state".
 */
enum GroupState
{
    /**
     * No members; committed offsets may remain.
     */
    EMPTY("Empty")
    {
        ErrorCode heartbeat()
        {
            return ErrorCode.UNKNOWN_MEMBER_ID;
        }

        ErrorCode sync()
        {
            return ErrorCode.UNKNOWN_MEMBER_ID;
        }

        ErrorCode memberCommit()
        {
            return ErrorCode.UNKNOWN_MEMBER_ID;
        }

        boolean canFollow(final GroupState previous)
        {
            return previous == PREPARING_REBALANCE;
        }
    },

    /**
     * Waiting for every member to (re)join, bounded by the rebalance timeout.
     */
    PREPARING_REBALANCE("PreparingRebalance")
    {
        ErrorCode heartbeat()
        {
            return ErrorCode.REBALANCE_IN_PROGRESS;
        }

        ErrorCode sync()
        {
            return ErrorCode.REBALANCE_IN_PROGRESS;
        }

        ErrorCode memberCommit()
        {
            // Members commit what they processed before rejoining (eager revocation), as in Kafka.
            return ErrorCode.NONE;
        }

        boolean canFollow(final GroupState previous)
        {
            return previous == EMPTY || previous == STABLE || previous == COMPLETING_REBALANCE;
        }
    },

    /**
     * Joined; waiting for the leader's assignment in its SyncGroup.
     */
    COMPLETING_REBALANCE("CompletingRebalance")
    {
        ErrorCode heartbeat()
        {
            return ErrorCode.NONE;
        }

        ErrorCode sync()
        {
            return ErrorCode.NONE;
        }

        ErrorCode memberCommit()
        {
            return ErrorCode.REBALANCE_IN_PROGRESS;
        }

        boolean canFollow(final GroupState previous)
        {
            return previous == PREPARING_REBALANCE;
        }
    },

    /**
     * Every member has its assignment for the current generation.
     */
    STABLE("Stable")
    {
        ErrorCode heartbeat()
        {
            return ErrorCode.NONE;
        }

        ErrorCode sync()
        {
            return ErrorCode.NONE;
        }

        ErrorCode memberCommit()
        {
            return ErrorCode.NONE;
        }

        boolean canFollow(final GroupState previous)
        {
            return previous == COMPLETING_REBALANCE;
        }
    },

    /**
     * Deleted; only seen by describe of an unknown group.
     */
    DEAD("Dead")
    {
        ErrorCode heartbeat()
        {
            return ErrorCode.UNKNOWN_MEMBER_ID;
        }

        ErrorCode sync()
        {
            return ErrorCode.UNKNOWN_MEMBER_ID;
        }

        ErrorCode memberCommit()
        {
            return ErrorCode.UNKNOWN_MEMBER_ID;
        }

        boolean canFollow(final GroupState previous)
        {
            return previous == EMPTY;
        }
    };

    private static final GroupState[] VALUES = values();

    private final String displayName;

    GroupState(final String displayName)
    {
        this.displayName = displayName;
    }

    /**
     * Kafka's name of the state, as describe and list print it.
     *
     * @return the name.
     */
    String displayName()
    {
        return displayName;
    }

    /**
     * The answer to a heartbeat from a valid member of the current generation.
     *
     * @return the error code.
     */
    abstract ErrorCode heartbeat();

    /**
     * Whether a SyncGroup from a valid member of the current generation may proceed.
     *
     * @return NONE, or the error to answer with.
     */
    abstract ErrorCode sync();

    /**
     * Whether an offset commit from a valid member of the current generation is accepted.
     *
     * @return NONE, or the error to answer with.
     */
    abstract ErrorCode memberCommit();

    /**
     * Whether this state may follow another; a transition that may not is a coordinator bug.
     *
     * @param previous the state before.
     * @return true when legal.
     */
    abstract boolean canFollow(GroupState previous);

    /**
     * The state with an ordinal, as the snapshot stores it.
     *
     * @param ordinal from {@link #ordinal()}.
     * @return the state.
     */
    static GroupState get(final int ordinal)
    {
        if (ordinal < 0 || ordinal >= VALUES.length)
        {
            throw new IllegalArgumentException("unknown group state " + ordinal);
        }
        return VALUES[ordinal];
    }

    /**
     * The state with a display name, ignoring case, or null.
     *
     * @param name such as {@code Stable}.
     * @return the state or null.
     */
    static GroupState byDisplayName(final String name)
    {
        for (final GroupState state : VALUES)
        {
            if (state.displayName.equalsIgnoreCase(name))
            {
                return state;
            }
        }
        return null;
    }
}
