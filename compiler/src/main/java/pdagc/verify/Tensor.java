package pdagc.verify;

import java.util.Arrays;
import java.util.List;
import pdagc.ir.Shape;

/**
 * A dense row-major tensor of doubles for the reference evaluator (tiny shapes only). Routing
 * tensors also carry the chosen expert of each slot in {@code index}.
 */
final class Tensor implements Value {
    final int[] shape;
    final double[] data;
    final int[] index;

    Tensor(int[] shape, double[] data, int[] index) {
        this.shape = shape;
        this.data = data;
        this.index = index;
    }

    static Tensor zeros(int... shape) {
        return new Tensor(shape.clone(), new double[size(shape)], null);
    }

    static int size(int[] shape) {
        int n = 1;
        for (int d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    static int[] of(Shape s) {
        int[] out = new int[s.rank()];
        for (int i = 0; i < out.length; i++) out[i] = Math.toIntExact(s.dim(i));
        return out;
    }

    int rank() {
        return shape.length;
    }

    int last() {
        return shape[shape.length - 1];
    }

    /** Rows of the last dimension: the product of all other dimensions. */
    int rows() {
        return data.length / Math.max(1, last());
    }

    /** Elements of the dimensions after {@code dim}. */
    int inner(int dim) {
        int n = 1;
        for (int i = dim + 1; i < shape.length; i++) n *= shape[i];
        return n;
    }

    int outer(int dim) {
        int n = 1;
        for (int i = 0; i < dim; i++) n *= shape[i];
        return n;
    }

    /** The block {@code [offset, offset+len)} of dimension {@code dim}. */
    Tensor slice(int dim, int offset, int len) {
        int[] s = shape.clone();
        s[dim] = len;
        Tensor out = new Tensor(s, new double[size(s)], index == null ? null : new int[size(s)]);
        int inner = inner(dim);
        int outer = outer(dim);
        for (int o = 0; o < outer; o++) {
            int src = (o * shape[dim] + offset) * inner;
            int dst = o * len * inner;
            System.arraycopy(data, src, out.data, dst, len * inner);
            if (index != null) System.arraycopy(index, src, out.index, dst, len * inner);
        }
        return out;
    }

    static Tensor concat(List<Tensor> parts, int dim) {
        Tensor first = parts.get(0);
        int[] s = first.shape.clone();
        int total = 0;
        for (Tensor p : parts) total += p.shape[dim];
        s[dim] = total;
        Tensor out = new Tensor(s, new double[size(s)], first.index == null ? null : new int[size(s)]);
        int inner = first.inner(dim);
        int outer = first.outer(dim);
        int at = 0;
        for (Tensor p : parts) {
            int len = p.shape[dim];
            for (int o = 0; o < outer; o++) {
                System.arraycopy(p.data, o * len * inner, out.data, (o * total + at) * inner, len * inner);
                if (out.index != null) System.arraycopy(p.index, o * len * inner, out.index, (o * total + at) * inner, len * inner);
            }
            at += len;
        }
        return out;
    }

    Tensor plus(Tensor other) {
        Tensor out = new Tensor(shape.clone(), data.clone(), index == null ? null : index.clone());
        for (int i = 0; i < data.length; i++) out.data[i] += other.data[i];
        return out;
    }

    @Override
    public String describe() {
        return "tensor " + Arrays.toString(shape);
    }
}
