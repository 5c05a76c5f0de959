package io.spindle.broker;

import org.agrona.collections.Int2ObjectHashMap;

/**
 * An immutable view of the topics, published by the state machine's thread for readers on other
 * threads (the fetch server). A new table is published after every topic change; readers load the
 * current one through a volatile read and never see a table change under them.
 */
public final class TopicTable
{
    /**
     * The table with no topics.
     */
    public static final TopicTable EMPTY = new TopicTable(0, new Int2ObjectHashMap<>());

    private final long version;
    private final Int2ObjectHashMap<Topic> topicsById;

    TopicTable(final long version, final Int2ObjectHashMap<Topic> topicsById)
    {
        this.version = version;
        this.topicsById = topicsById;
    }

    /**
     * Incremented on every change of the topic set.
     *
     * @return the version of this table.
     */
    public long version()
    {
        return version;
    }

    /**
     * The topic with an id.
     *
     * @param topicId of the topic.
     * @return the topic, or null.
     */
    public Topic topic(final int topicId)
    {
        return topicsById.get(topicId);
    }
}
