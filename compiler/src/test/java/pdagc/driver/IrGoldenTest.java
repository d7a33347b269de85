package pdagc.driver;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.LinkedHashSet;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import pdagc.Golden;
import pdagc.Repo;
import pdagc.diag.DiagnosticRenderer;

/** The IR's text after every pass, for the examples, kept as golden files (bless with -Dbless=true). */
class IrGoldenTest {

    @ParameterizedTest
    @ValueSource(strings = {"seed_moe_ep16_tp4", "llama3_8b_dp_tp_pp"})
    void irAfterEachPass(String example) {
        Compiler c = new Compiler(new LinkedHashSet<>(Compiler.PASSES));
        String file = "examples/" + example + ".pdag";
        c.check(Repo.file(file), file);
        assertFalse(c.diagnostics().hasErrors(), () -> DiagnosticRenderer.render(c.diagnostics().sorted()));
        for (Map.Entry<String, String> e : c.irText().entrySet()) {
            Golden.check("ir/" + example + "." + e.getKey() + ".txt", e.getValue());
        }
        assertFalse(c.irText().isEmpty());
    }
}
