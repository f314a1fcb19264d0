package io.jtarget.config;

import java.io.StringReader;
import java.io.StringWriter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.comments.CommentLine;
import org.yaml.snakeyaml.comments.CommentType;
import org.yaml.snakeyaml.nodes.CollectionNode;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Carries the comments of a hand-edited configuration file over to the text the server writes in
 * its place (Jackson's YAML writer knows nothing of comments). Both texts are composed into YAML
 * node trees with their comments; every node of the new tree that has a counterpart in the old one
 * (the same key of a mapping; in a sequence, the item with the same {@code name}, {@code lun},
 * {@code address} or {@code initiator}, else the same position) takes that node's comments, and a
 * collection its flow or block style. What was removed takes its comments with it; what is new
 * has none.
 */
final class YamlComments {
    /** The keys that identify an item of a sequence (a target, a LUN, a portal, an access rule). */
    private static final List<String> IDENTITY_KEYS = List.of("name", "lun", "address", "initiator");

    private YamlComments() {}

    /**
     * The new text with the old text's comments where they belong, or {@code newText} itself when
     * the old text has no comments or either text cannot be composed.
     */
    static String carryOver(String oldText, String newText) {
        if (oldText == null || !oldText.contains("#")) {
            return newText;
        }
        try {
            Yaml yaml = yaml();
            Node old = yaml.compose(new StringReader(oldText));
            Node fresh = yaml.compose(new StringReader(newText));
            if (old == null || fresh == null) {
                return newText;
            }
            copy(old, fresh);
            StringWriter out = new StringWriter();
            yaml.serialize(fresh, out);
            return out.toString();
        } catch (RuntimeException e) {
            return newText; // a text SnakeYAML cannot take back is written without comments
        }
    }

    private static Yaml yaml() {
        LoaderOptions load = new LoaderOptions();
        load.setProcessComments(true);
        DumperOptions dump = new DumperOptions();
        dump.setProcessComments(true);
        dump.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        // As the server's own writer lays out sequences (Jackson's INDENT_ARRAYS_WITH_INDICATOR).
        dump.setIndent(2);
        dump.setIndicatorIndent(2);
        dump.setIndentWithIndicator(true);
        dump.setWidth(Integer.MAX_VALUE);
        return new Yaml(load, dump);
    }

    private static void copy(Node from, Node to) {
        copyOwn(from, to);
        if (from instanceof CollectionNode<?> a && to instanceof CollectionNode<?> b) {
            // The operator's [a, b] stays a flow sequence (its comments are placed for that layout).
            b.setFlowStyle(a.getFlowStyle());
        }
        if (from instanceof MappingNode a && to instanceof MappingNode b) {
            Map<String, NodeTuple> byKey = new HashMap<>();
            for (NodeTuple t : a.getValue()) {
                if (t.getKeyNode() instanceof ScalarNode k) {
                    byKey.putIfAbsent(k.getValue(), t);
                }
            }
            for (NodeTuple t : b.getValue()) {
                if (t.getKeyNode() instanceof ScalarNode k && byKey.containsKey(k.getValue())) {
                    NodeTuple match = byKey.get(k.getValue());
                    copyOwn(match.getKeyNode(), t.getKeyNode());
                    copy(match.getValueNode(), t.getValueNode());
                }
            }
        } else if (from instanceof SequenceNode a && to instanceof SequenceNode b) {
            List<Node> olds = a.getValue();
            List<Node> news = b.getValue();
            for (int i = 0; i < news.size(); i++) {
                Node match = counterpart(olds, news.get(i), i);
                if (match != null) {
                    copy(match, news.get(i));
                    dropBlankLinesAbove(news.get(i));
                }
            }
        }
    }

    /**
     * Blank lines above an item of a sequence of mappings: the parser leaves them on the item's
     * first key, where the emitter would split "- " from that key; they are dropped (comments
     * there are kept, in that layout).
     */
    private static void dropBlankLinesAbove(Node item) {
        if (item instanceof MappingNode m && !m.getValue().isEmpty()) {
            Node firstKey = m.getValue().getFirst().getKeyNode();
            List<CommentLine> above = firstKey.getBlockComments();
            if (above != null && above.stream().allMatch(c -> c.getCommentType() == CommentType.BLANK_LINE)) {
                firstKey.setBlockComments(null);
            }
        }
    }

    private static void copyOwn(Node from, Node to) {
        if (from.getBlockComments() != null && !from.getBlockComments().isEmpty()) {
            to.setBlockComments(from.getBlockComments());
        }
        if (from.getInLineComments() != null && !from.getInLineComments().isEmpty()) {
            to.setInLineComments(from.getInLineComments());
        }
        if (from.getEndComments() != null && !from.getEndComments().isEmpty()) {
            to.setEndComments(from.getEndComments());
        }
    }

    /** The old item a new one continues: the same identity, else (items without one) the same position. */
    private static Node counterpart(List<Node> olds, Node item, int position) {
        String identity = identity(item);
        if (identity == null) {
            return position < olds.size() && identity(olds.get(position)) == null ? olds.get(position) : null;
        }
        for (Node old : olds) {
            if (identity.equals(identity(old))) {
                return old;
            }
        }
        return null;
    }

    private static String identity(Node item) {
        if (item instanceof ScalarNode s) {
            return "=" + s.getValue();
        }
        if (item instanceof MappingNode m) {
            for (String key : IDENTITY_KEYS) {
                for (NodeTuple t : m.getValue()) {
                    if (t.getKeyNode() instanceof ScalarNode k && k.getValue().equals(key)
                            && t.getValueNode() instanceof ScalarNode v) {
                        return key + "=" + v.getValue();
                    }
                }
            }
        }
        return null;
    }
}
