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
    public static final TopicTable EMPTY = new TopicTable(0, new Int2ObjectHashMap<>(), 1);

    private final long version;
    private final Int2ObjectHashMap<Topic> topicsById;
    private final int nextTopicId;
    private final Topic[] topics;

    TopicTable(final long version, final Int2ObjectHashMap<Topic> topicsById, final int nextTopicId)
    {
        this.version = version;
        this.topicsById = topicsById;
        this.nextTopicId = nextTopicId;
        // An array for walking the topics: the map's iterators are shared state no two reader threads may use.
        this.topics = topicsById.values().toArray(new Topic[0]);
    }

    /**
     * Count of topics, for walking them with {@link #topicAt(int)}.
     *
     * @return the count.
     */
    public int topicCount()
    {
        return topics.length;
    }

    /**
     * A topic by position, in no particular order.
     *
     * @param index from 0 to {@link #topicCount()} - 1.
     * @return the topic.
     */
    public Topic topicAt(final int index)
    {
        return topics[index];
    }

    /**
     * Whether a topic id is beyond every id this state has handed out: a topic created later in the log, which a
     * cluster member that has not applied that far does not know yet (as opposed to a deleted topic).
     *
     * @param topicId of the topic.
     * @return true for an id not handed out yet.
     */
    public boolean isNotCreatedYet(final int topicId)
    {
        return topicId >= nextTopicId;
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
