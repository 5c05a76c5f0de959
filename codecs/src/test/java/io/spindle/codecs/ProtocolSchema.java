package io.spindle.codecs;

import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The protocol schema XML read independently of SbeTool, as the reference the tests check the layouts, the
 * round trips and the fuzzing against.
 */
final class ProtocolSchema
{
    static final String RESOURCE = "sbe/spindle-protocol.xml";
    static final String SBE_NAMESPACE = "http://fixprotocol.io/2016/sbe";

    /**
     * A fixed field of a message or group.
     */
    record Field(String name, String type, int sinceVersion)
    {
    }

    /**
     * A var-data field; {@code string} when its encoding has a character encoding.
     */
    record Data(String name, String type, boolean string, int sinceVersion)
    {
    }

    /**
     * A message (id = template id) or a group (id = field id): fixed fields, groups and var data in schema order.
     */
    record Block(
        String name, int id, int sinceVersion, String dimensionType, List<Field> fields, List<Block> groups,
        List<Data> data)
    {
    }

    final int schemaId;
    final int version;
    final String packageName;
    final List<Block> messages;

    private ProtocolSchema(final int schemaId, final int version, final String packageName, final List<Block> messages)
    {
        this.schemaId = schemaId;
        this.version = version;
        this.packageName = packageName;
        this.messages = messages;
    }

    static ProtocolSchema load()
    {
        try (InputStream in = ProtocolSchema.class.getClassLoader().getResourceAsStream(RESOURCE))
        {
            if (null == in)
            {
                throw new IllegalStateException("schema not on the classpath: " + RESOURCE);
            }

            final DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setNamespaceAware(true);
            final Document document = factory.newDocumentBuilder().parse(in);
            final Element root = document.getDocumentElement();

            final Set<String> stringEncodings = new HashSet<>();
            final NodeList composites = root.getElementsByTagName("composite");
            for (int i = 0; i < composites.getLength(); i++)
            {
                final Element composite = (Element)composites.item(i);
                for (final Element type : children(composite, "type"))
                {
                    if ("varData".equals(type.getAttribute("name")) &&
                        !type.getAttribute("characterEncoding").isEmpty())
                    {
                        stringEncodings.add(composite.getAttribute("name"));
                    }
                }
            }

            final List<Block> messages = new ArrayList<>();
            final NodeList messageNodes = root.getElementsByTagNameNS(SBE_NAMESPACE, "message");
            for (int i = 0; i < messageNodes.getLength(); i++)
            {
                messages.add(block((Element)messageNodes.item(i), stringEncodings));
            }

            return new ProtocolSchema(
                Integer.parseInt(root.getAttribute("id")),
                Integer.parseInt(root.getAttribute("version")),
                root.getAttribute("package"),
                List.copyOf(messages));
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException("cannot read " + RESOURCE, ex);
        }
    }

    List<Integer> templateIds()
    {
        final List<Integer> ids = new ArrayList<>();
        for (final Block message : messages)
        {
            ids.add(message.id());
        }

        return ids;
    }

    Block message(final int templateId)
    {
        for (final Block message : messages)
        {
            if (message.id() == templateId)
            {
                return message;
            }
        }

        return null;
    }

    private static Block block(final Element element, final Set<String> stringEncodings)
    {
        final List<Field> fields = new ArrayList<>();
        final List<Block> groups = new ArrayList<>();
        final List<Data> data = new ArrayList<>();

        for (Node node = element.getFirstChild(); null != node; node = node.getNextSibling())
        {
            if (!(node instanceof Element child))
            {
                continue;
            }

            switch (child.getLocalName())
            {
                case "field" -> fields.add(new Field(
                    child.getAttribute("name"), child.getAttribute("type"), sinceVersion(child)));
                case "group" -> groups.add(block(child, stringEncodings));
                case "data" -> data.add(new Data(
                    child.getAttribute("name"),
                    child.getAttribute("type"),
                    stringEncodings.contains(child.getAttribute("type")),
                    sinceVersion(child)));
                default -> throw new IllegalStateException("unexpected element " + child.getLocalName());
            }
        }

        return new Block(
            element.getAttribute("name"),
            Integer.parseInt(element.getAttribute("id")),
            sinceVersion(element),
            element.getAttribute("dimensionType"),
            List.copyOf(fields),
            List.copyOf(groups),
            List.copyOf(data));
    }

    private static int sinceVersion(final Element element)
    {
        final String value = element.getAttribute("sinceVersion");

        return value.isEmpty() ? 0 : Integer.parseInt(value);
    }

    private static List<Element> children(final Element parent, final String localName)
    {
        final List<Element> result = new ArrayList<>();
        for (Node node = parent.getFirstChild(); null != node; node = node.getNextSibling())
        {
            if (node instanceof Element child && localName.equals(child.getNodeName()))
            {
                result.add(child);
            }
        }

        return result;
    }
}
