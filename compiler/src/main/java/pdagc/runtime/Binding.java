package pdagc.runtime;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import pdagc.verify.Value;

/**
 * Binds a generated runtime interface to a {@link GpuRuntime}. The generated code shares no class
 * with the project (its interface is its own source, so users can compile it alone), so the
 * binding matches methods by name and parameter types, the interface's tensor type variable
 * (erased to {@code Object}) standing for {@link Value}. Every interface method must find its
 * match when binding, so a generator and runtime that drift apart fail at once, not midway.
 */
final class Binding {
    private Binding() {}

    static Object bind(Class<?> runtimeInterface, GpuRuntime gpu) {
        if (!runtimeInterface.isInterface()) throw new IllegalArgumentException(runtimeInterface.getName() + " is not an interface");
        Map<Method, Method> targets = new HashMap<>();
        List<String> missing = new ArrayList<>();
        for (Method m : runtimeInterface.getMethods()) {
            if (Modifier.isStatic(m.getModifiers()) || m.isDefault()) continue;
            Method t = match(m);
            if (t == null) missing.add(m.getName());
            else targets.put(m, t);
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("the reference runtime has no method for " + runtimeInterface.getSimpleName() + "." + String.join(", .", missing));
        }
        return Proxy.newProxyInstance(runtimeInterface.getClassLoader(), new Class<?>[] {runtimeInterface}, (proxy, method, args) -> {
            Method target = targets.get(method);
            if (target == null) return objectMethod(proxy, method, args, gpu);
            try {
                return target.invoke(gpu, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
    }

    private static Method match(Method m) {
        for (Method t : GpuRuntime.class.getMethods()) {
            if (!t.getName().equals(m.getName()) || t.getParameterCount() != m.getParameterCount()) continue;
            if (!compatible(m.getReturnType(), t.getReturnType())) continue;
            boolean same = true;
            for (int i = 0; i < m.getParameterCount(); i++) same &= compatible(m.getParameterTypes()[i], t.getParameterTypes()[i]);
            if (same) return t;
        }
        return null;
    }

    /** The interface's type (a tensor is {@code Object} after erasure) against the runtime's. */
    private static boolean compatible(Class<?> declared, Class<?> actual) {
        return declared == actual || (declared == Object.class && actual == Value.class);
    }

    private static Object objectMethod(Object proxy, Method method, Object[] args, GpuRuntime gpu) {
        return switch (method.getName()) {
            case "equals" -> proxy == args[0];
            case "hashCode" -> System.identityHashCode(proxy);
            case "toString" -> "reference runtime of " + gpu;
            default -> throw new UnsupportedOperationException(method.toString());
        };
    }
}
