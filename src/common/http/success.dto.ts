import { ApiProperty } from '@nestjs/swagger';

/** The acknowledgement of the Accounts API's commands: `{success: true, message}`. */
export class SuccessDto {
  @ApiProperty({ example: true })
  success: true;

  @ApiProperty({ example: 'User added to account' })
  message: string;
}

export function success(message: string): SuccessDto {
  return { success: true, message };
}
