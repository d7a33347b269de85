package pdagc.backend;

import java.util.Locale;
import pdagc.dag.PlanDag;
import pdagc.mesh.MeshAxes;

/**
 * The light fill colour of a GPU's compute nodes: one colour per expert group (the GPU's {@code ep}
 * coordinate) when the mesh has an {@code ep} axis, else one per GPU. Hues follow the golden-ratio
 * sequence, so neighbouring groups differ clearly and the colours never depend on hash order.
 */
public final class Palette {
    private static final double GOLDEN = 0.618033988749895;
    private static final double SATURATION = 0.22;

    private Palette() {}

    /** The fill of {@code gpu}'s nodes, as {@code #rrggbb}. */
    public static String fill(PlanDag plan, int gpu) {
        int group = plan.mesh().has(MeshAxes.EP) ? plan.mesh().coord(gpu, MeshAxes.EP) : gpu;
        return color(group);
    }

    /** The {@code k}th colour of the sequence, as {@code #rrggbb}. */
    public static String color(int k) {
        double hue = (0.08 + k * GOLDEN) % 1.0;
        return hsvToHex(hue, SATURATION, 1.0);
    }

    private static String hsvToHex(double h, double s, double v) {
        double sector = h * 6;
        int i = (int) Math.floor(sector) % 6;
        double f = sector - Math.floor(sector);
        double p = v * (1 - s);
        double q = v * (1 - f * s);
        double t = v * (1 - (1 - f) * s);
        double[] rgb = switch (i) {
            case 0 -> new double[] {v, t, p};
            case 1 -> new double[] {q, v, p};
            case 2 -> new double[] {p, v, t};
            case 3 -> new double[] {p, q, v};
            case 4 -> new double[] {t, p, v};
            default -> new double[] {v, p, q};
        };
        return String.format(Locale.ROOT, "#%02x%02x%02x", channel(rgb[0]), channel(rgb[1]), channel(rgb[2]));
    }

    private static int channel(double x) {
        return (int) Math.round(x * 255);
    }
}
