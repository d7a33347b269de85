package pdagc.backend;

import java.util.Optional;

/**
 * Which part of a plan a drawing shows. A million-node SVG helps nobody, so the drawing backends
 * render a view: the deployment (the cluster's nodes holding their GPUs, one layer of each, the
 * collectives between them, the rest summarized), the whole plan, one GPU, one layer on every GPU,
 * or the collapsed roles view (one lane per distinct GPU program, drawn from its first GPU),
 * optionally cut to one layer.
 *
 * <p>Spec syntax, as users type it: {@code deployment}, {@code deployment:layer:N}, {@code whole},
 * {@code gpu:N}, {@code layer:N}, {@code roles}, {@code roles:layer:N}; {@link #spec()} writes it
 * back.
 */
public sealed interface View permits View.Deployment, View.Whole, View.Gpu, View.Layer, View.Roles, View.RolesLayer {

    /** The syntax accepted by {@link #parse}, for messages. */
    String SYNTAX = "deployment | deployment:layer:N | whole | roles | roles:layer:N | gpu:N | layer:N";

    /**
     * The deployment: the cluster's nodes as boxes holding their GPUs, each GPU with one layer's
     * operators, collectives drawn between the GPUs they join; the GPUs, nodes and layers beyond
     * what the budget draws summarized with their counts. {@code layer} is the layer drawn, or
     * {@link #DEFAULT_LAYER}: each pipeline stage's first MoE layer in an MoE model, else its first.
     */
    record Deployment(int layer) implements View {
        /** No layer named: the view picks one per stage. */
        public static final int DEFAULT_LAYER = -1;

        public Deployment() {
            this(DEFAULT_LAYER);
        }

        public String spec() { return layer == DEFAULT_LAYER ? "deployment" : "deployment:layer:" + layer; }
    }

    /** The canonical spec of this view, as accepted by {@link #parse}. */
    String spec();

    /** Every node of the plan. */
    record Whole() implements View {
        public String spec() { return "whole"; }
    }

    /** The nodes of one GPU; edges from other GPUs end in stubs naming those GPUs. */
    record Gpu(int gpu) implements View {
        public String spec() { return "gpu:" + gpu; }
    }

    /** The nodes of one transformer layer, on every GPU. */
    record Layer(int layer) implements View {
        public String spec() { return "layer:" + layer; }
    }

    /** One lane per distinct GPU role, drawn from the role's first GPU. */
    record Roles() implements View {
        public String spec() { return "roles"; }
    }

    /** The roles view cut to one transformer layer. */
    record RolesLayer(int layer) implements View {
        public String spec() { return "roles:layer:" + layer; }
    }

    /** The view named by {@code spec}, or empty when it does not follow {@link #SYNTAX}. */
    static Optional<View> parse(String spec) {
        String s = spec.strip();
        if (s.equals("deployment")) return Optional.of(new Deployment());
        if (s.startsWith("deployment:layer:")) return number(s, "deployment:layer:").map(Deployment::new);
        if (s.equals("whole")) return Optional.of(new Whole());
        if (s.equals("roles")) return Optional.of(new Roles());
        if (s.startsWith("roles:layer:")) return number(s, "roles:layer:").map(RolesLayer::new);
        if (s.startsWith("gpu:")) return number(s, "gpu:").map(Gpu::new);
        if (s.startsWith("layer:")) return number(s, "layer:").map(Layer::new);
        return Optional.empty();
    }

    private static Optional<Integer> number(String s, String prefix) {
        String digits = s.substring(prefix.length());
        if (digits.isEmpty() || digits.length() > 9 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return Optional.empty();
        }
        return Optional.of(Integer.parseInt(digits));
    }
}
