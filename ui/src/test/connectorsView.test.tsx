import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";
import { type Args, type CommandName, setTransport, type Transport } from "../api";
import { createBrowserBackend } from "../api/browserBackend";
import { ConnectorsView } from "../views/ConnectorsView";

const type = (testId: string, value: string) => fireEvent.change(screen.getByTestId(testId), { target: { value } });

describe("the connectors view", () => {
  beforeEach(() => setTransport(createBrowserBackend()));

  it("lists the demo connector and says it has no secret yet", async () => {
    render(<ConnectorsView />);
    const row = await screen.findByTestId("connector-crm");
    expect(within(row).getByTestId("connector-secret-crm").textContent).toBe("no secret");
  });

  it("refuses a new connector without a secret, beside the secret field", async () => {
    render(<ConnectorsView />);
    await screen.findByTestId("connector-crm");
    fireEvent.click(screen.getByTestId("new-connector"));
    type("connector-name", "billing");
    fireEvent.click(screen.getByTestId("save-connector"));
    const error = await screen.findByTestId("connector-secret-error");
    expect(error.textContent).toMatch(/secret/);
    expect(screen.getByTestId("connector-secret-field").contains(error)).toBe(true);
    expect(screen.queryByTestId("connector-billing")).toBeNull();
  });

  it("saves a secret, then shows it masked with Replace, never in clear", async () => {
    render(<ConnectorsView />);
    await screen.findByTestId("connector-crm");
    fireEvent.click(screen.getByTestId("new-connector"));
    type("connector-name", "billing");
    fireEvent.click(screen.getByTestId("connector-type-api_key"));
    type("connector-placement", "query");
    type("connector-param-name", "api_key");
    type("connector-secret", "k-123456");
    expect(screen.getByTestId("connector-secret").getAttribute("type")).toBe("password");
    fireEvent.click(screen.getByTestId("save-connector"));
    await waitFor(() => expect(screen.getByTestId("connector-secret-billing").textContent).toBe("secret in keyring"));
    expect(screen.getByTestId("connector-billing").textContent).toContain("query parameter api_key");

    fireEvent.click(screen.getByTestId("connector-billing"));
    expect(screen.getByTestId("connector-secret-masked").textContent).toBe("•••");
    expect(screen.queryByTestId("connector-secret")).toBeNull();
    expect(document.body.innerHTML).not.toContain("k-123456");
    fireEvent.click(screen.getByTestId("connector-secret-replace"));
    const input = screen.getByTestId("connector-secret") as HTMLInputElement;
    expect(input.value).toBe("");
    expect(input.type).toBe("password");
  });

  it("without a keyring, says so beside the secret field and keeps the input", async () => {
    const backend = createBrowserBackend() as unknown as (command: CommandName, args: unknown) => Promise<unknown>;
    setTransport((async (command: CommandName, args: Args<CommandName>) => {
      if (command === "save_connector")
        throw { code: "keyring_unavailable", message: "No OS keyring (Secret Service) is reachable: secrets cannot be saved" };
      return backend(command, args);
    }) as Transport);
    render(<ConnectorsView />);
    await screen.findByTestId("connector-crm");
    fireEvent.click(screen.getByTestId("new-connector"));
    type("connector-name", "billing");
    fireEvent.click(screen.getByTestId("connector-type-basic"));
    type("connector-username", "ada");
    type("connector-secret", "pw");
    fireEvent.click(screen.getByTestId("save-connector"));
    const error = await screen.findByTestId("connector-secret-error");
    expect(error.textContent).toMatch(/keyring.*cannot be saved.*Nothing was saved/);
    expect((screen.getByTestId("connector-secret") as HTMLInputElement).value).toBe("pw");
    expect(screen.getByTestId("connector-form")).toBeTruthy();
    expect(screen.queryByTestId("connector-billing")).toBeNull();
  });

  it("asks before deleting, and shows why a connector in use is kept", async () => {
    render(<ConnectorsView />);
    await screen.findByTestId("connector-crm");
    fireEvent.click(screen.getByTestId("delete-connector-crm"));
    fireEvent.click(screen.getByTestId("confirm-delete-connector-crm"));
    const error = await screen.findByTestId("connectors-error");
    expect(error.textContent).toMatch(/uses connector `crm`/);
    expect(screen.getByTestId("connector-crm")).toBeTruthy();
  });
});
