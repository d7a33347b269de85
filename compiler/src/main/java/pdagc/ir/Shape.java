package pdagc.ir;

import java.util.Arrays;

/** A tensor's dimensions; immutable. */
public final class Shape {
    private final long[] dims;

    public Shape(long... dims) {
        this.dims = dims.clone();
    }

    public int rank() {
        return dims.length;
    }

    public long dim(int i) {
        return dims[i];
    }

    public long last() {
        return dims[dims.length - 1];
    }

    public long[] dims() {
        return dims.clone();
    }

    public long elements() {
        long n = 1;
        for (long d : dims) n = Overflow.mul(n, d);
        return n;
    }

    public Shape with(int i, long value) {
        long[] d = dims.clone();
        d[i] = value;
        return new Shape(d);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape s && Arrays.equals(s.dims, dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < dims.length; i++) {
            if (i > 0) b.append(',');
            b.append(dims[i]);
        }
        return b.append(']').toString();
    }
}
