// While the current state is read (the first frame, before the engine has loaded).
import { Text } from "ink";
import { Screen } from "../components/screen.tsx";
import { Spinner } from "../components/spinner.tsx";
import { useTheme } from "../contexts/app-context.tsx";
import { useKeys } from "../hooks/use-keys.ts";
import { useLayout } from "../hooks/use-layout.ts";

export function LoadingScreen({ text }: { text: string }) {
  const theme = useTheme();
  const { bodyHeight } = useLayout();
  useKeys(() => {});
  return (
    <Screen
      title="Starting"
      rows={[
        <Text key="l">
          <Spinner color={theme.accent} /> {text}
        </Text>,
      ]}
      height={bodyHeight(0)}
      offset={0}
      keys={[["q", "quit"]]}
    />
  );
}
